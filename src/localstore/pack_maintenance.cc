#include "localstore/pack_maintenance.h"

#include <sys/stat.h>

#include <algorithm>

#include "localstore/bucket_index.h"

namespace ferry::local {
namespace {

constexpr uint64_t kMinDeadBytes = 1 << 20;  // not worth compacting below this
constexpr uint64_t kMaxMoveBatch = 8 << 20;  // bytes moved per index commit
constexpr size_t kMaxMoveRows = 512;

Status DropEmptyPacks(Bucket& bucket, const std::vector<index::PackUsage>& packs) {
  std::vector<BlobId> empty;
  for (const auto& p : packs) {
    if (p.live == 0 && bucket.packs().Retired(p.pack)) empty.push_back(p.pack);
  }
  if (empty.empty()) return Status::OK();
  std::vector<BlobId> dropped;
  FERRY_RETURN_IF_ERROR(bucket.Mutate([&](sqlite::Db& db) -> Status {
    dropped.clear();
    for (const auto& id : empty) {
      FERRY_ASSIGN_OR_RETURN(bool gone, index::DropPackIfEmpty(db, id));
      if (gone) dropped.push_back(id);
    }
    return Status::OK();
  }));
  for (const auto& id : dropped) FERRY_RETURN_IF_ERROR(bucket.packs().Remove(id));
  return Status::OK();
}

// Moves up to one batch of pack's bodies to the active pack; false when none are left.
Result<bool> MoveBatch(Bucket& bucket, sqlite::Db& db, const Pack& from) {
  uint64_t cap = std::min(kMaxMoveBatch, bucket.options().pack_size);
  FERRY_ASSIGN_OR_RETURN(auto rows, index::ObjectsInPack(db, from.id(), kMaxMoveRows));
  if (rows.empty()) return false;
  uint64_t total = 0;
  size_t n = 0;
  while (n < rows.size() && (n == 0 || total + rows[n].size <= cap)) total += rows[n++].size;
  rows.resize(n);
  std::string buffer(total, '\0');
  uint64_t at = 0;
  for (const auto& r : rows) {
    FERRY_ASSIGN_OR_RETURN(
        size_t got, PreadFull(from.fd(), std::span<char>(buffer.data() + at, r.size), r.offset,
                              "read pack " + from.id().Hex()));
    if (got != r.size) return Status::Corruption("pack " + from.id().Hex() + " is short");
    at += r.size;
  }
  if (total == 0) total = 1;  // empty bodies: reserve a byte so the slot is valid
  FERRY_ASSIGN_OR_RETURN(auto slot, bucket.packs().Reserve(total));
  FERRY_RETURN_IF_ERROR(slot->Write(buffer));
  FERRY_RETURN_IF_ERROR(bucket.Mutate(
      [&](sqlite::Db& w) -> Status {
        uint64_t off = 0;
        for (const auto& r : rows) {
          PackRange to{slot->pack().id(), slot->offset() + off, r.size};
          FERRY_RETURN_IF_ERROR(index::MovePackedObject(w, r, from.id(), to).status());
          off += r.size;
        }
        return Status::OK();
      },
      slot->pack().fd()));
  return true;
}

}  // namespace

Result<bool> CleanPacks(Bucket& bucket, sqlite::Db& db) {
  FERRY_ASSIGN_OR_RETURN(auto packs, index::ListPacks(db));
  FERRY_RETURN_IF_ERROR(DropEmptyPacks(bucket, packs));

  // The retired pack with the most dead bytes, if it is less than half live.
  std::shared_ptr<Pack> victim;
  uint64_t most_dead = 0;
  for (const auto& p : packs) {
    if (p.live == 0 || !bucket.packs().Retired(p.pack)) continue;
    auto pack = bucket.packs().Open(p.pack);
    struct stat st;
    if (!pack.ok() || ::fstat((*pack)->fd(), &st) != 0) continue;
    uint64_t size = static_cast<uint64_t>(st.st_size);
    if (p.live * 2 >= size || size - p.live < kMinDeadBytes) continue;
    if (size - p.live > most_dead) {
      most_dead = size - p.live;
      victim = *pack;
    }
  }
  if (victim == nullptr) return false;
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(bool moved, MoveBatch(bucket, db, *victim));
    if (!moved) break;
  }
  return true;  // the victim is now empty: the next pass drops it (and looks for more)
}

}  // namespace ferry::local
