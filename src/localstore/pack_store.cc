#include "localstore/pack_store.h"

#include <fcntl.h>

#include <vector>

namespace ferry::local {
namespace {

constexpr size_t kMaxCachedPacks = 256;

}  // namespace

PackStore::Slot::~Slot() {
  store_->Unreserve(pack_.get());
}

Status PackStore::Slot::Write(std::span<const char> data, uint64_t at) {
  return PwriteAll(pack_->fd(), data, offset_ + at, "write pack " + pack_->id().Hex());
}

std::unique_ptr<PackStore::Slot> PackStore::TryReserveLocked(uint64_t length) {
  if (active_ == nullptr || active_->tail_ + length > pack_size_) return nullptr;
  uint64_t offset = active_->tail_;
  active_->tail_ += length;
  active_->inflight_++;
  return std::unique_ptr<Slot>(new Slot(this, active_, offset));
}

Result<std::unique_ptr<PackStore::Slot>> PackStore::Reserve(uint64_t length) {
  {
    std::lock_guard l(mu_);
    if (auto slot = TryReserveLocked(length)) return slot;
  }
  // Lock order: roll_mu_ then mu_. mu_ is never held across I/O or the index commit below,
  // because index mutations (run by another thread) call Retired().
  std::lock_guard roll(roll_mu_);
  {
    std::lock_guard l(mu_);
    if (auto slot = TryReserveLocked(length)) return slot;
  }
  FERRY_ASSIGN_OR_RETURN(BlobStore::NewBlob blob, blobs_->Create());
  auto pack = std::shared_ptr<Pack>(new Pack(blob.id, std::move(blob.fd)));
  {
    // Known (and busy) before the index has it: registered with no live bytes, a pack the
    // store did not know would look retired and empty to the maintainer, which would drop
    // it while bodies are written to it.
    std::lock_guard l(mu_);
    pack->inflight_++;
    open_[pack->id()] = pack;
  }
  Status s = blobs_->Sync(pack->id(), pack->fd());
  if (s.ok()) s = hooks_.register_pack(pack->id());
  if (!s.ok()) {
    {
      std::lock_guard l(mu_);
      open_.erase(pack->id());
    }
    (void)blobs_->Remove(pack->id());
    return s;
  }
  bool wake = false;
  std::unique_ptr<Slot> slot;
  {
    std::lock_guard l(mu_);
    if (active_ != nullptr) {
      active_->active_ = false;
      wake = active_->inflight_ == 0;
    }
    pack->active_ = true;
    pack->inflight_--;
    active_ = pack;
    slot = TryReserveLocked(length);
  }
  if (wake) hooks_.wake_maintenance();
  if (slot == nullptr) return Status::Internal("pack reservation larger than a pack");
  return slot;
}

void PackStore::Unreserve(Pack* pack) {
  bool wake;
  {
    std::lock_guard l(mu_);
    wake = --pack->inflight_ == 0 && !pack->active_;
  }
  if (wake) hooks_.wake_maintenance();
}

Result<std::shared_ptr<Pack>> PackStore::Open(const BlobId& id) {
  {
    std::lock_guard l(mu_);
    auto it = open_.find(id);
    if (it != open_.end()) return it->second;
  }
  FERRY_ASSIGN_OR_RETURN(UniqueFd fd, blobs_->OpenForRead(id));
  auto pack = std::shared_ptr<Pack>(new Pack(id, std::move(fd)));
  std::lock_guard l(mu_);
  if (open_.size() >= kMaxCachedPacks) {
    // Drop idle read-only entries; readers keep their own references.
    std::vector<BlobId> idle;
    for (const auto& [pid, p] : open_) {
      if (!p->active_ && p->inflight_ == 0) idle.push_back(pid);
    }
    for (const auto& pid : idle) open_.erase(pid);
  }
  auto [it, inserted] = open_.emplace(id, pack);
  return it->second;
}

bool PackStore::Retired(const BlobId& id) {
  std::lock_guard l(mu_);
  auto it = open_.find(id);
  return it == open_.end() || (!it->second->active_ && it->second->inflight_ == 0);
}

Status PackStore::Remove(const BlobId& id) {
  {
    std::lock_guard l(mu_);
    open_.erase(id);
  }
  return blobs_->Remove(id);
}

}  // namespace ferry::local
