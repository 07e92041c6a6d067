// PackStore: small bodies of many objects appended to shared pack files.
//
// A PUT of a small body is one pwrite into the bucket's active pack at a reserved offset; the
// group commit then makes every body of a batch durable with one fdatasync of the pack before
// the index commit that references them. Compared with a file per object this saves a file
// creation and two fsyncs per PUT; compared with bodies inside SQLite it writes the bytes once
// (no WAL checkpoint copy). See doc/LOCAL_STORE.md.
//
// Packs are blob files (same names and directories) that only grow while active and never
// change a written byte. The index counts each pack's live bytes; a retired pack whose live
// bytes reach zero is unlinked, and a sparse one is compacted, by the bucket's maintenance pass.
// Readers hold a Pack (an open descriptor), so a pack unlinked under them stays readable; a
// reader that finds a pack already gone looks the key up again. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>

#include "localstore/blob_store.h"

namespace ferry::local {

class PackStore;

// One open pack file.
class Pack {
 public:
  const BlobId& id() const { return id_; }
  int fd() const { return fd_.get(); }

 private:
  friend class PackStore;
  Pack(BlobId id, UniqueFd fd) : id_(id), fd_(std::move(fd)) {}

  BlobId id_;
  UniqueFd fd_;
  // Guarded by PackStore::mu_.
  uint64_t tail_ = 0;    // active pack: next free offset
  int inflight_ = 0;     // reservations not yet committed or given up
  bool active_ = false;  // reservations still go here
};

class PackStore {
 public:
  struct Hooks {
    // Records a new pack in the index, durably, before anything is written to it.
    std::function<Status(const BlobId&)> register_pack;
    // A retired pack may now be dropped or compacted.
    std::function<void()> wake_maintenance;
  };
  PackStore(BlobStore* blobs, uint64_t pack_size, Hooks hooks)
      : blobs_(blobs), pack_size_(pack_size), hooks_(std::move(hooks)) {}

  // A reserved byte range of the active pack, held until the body written there is committed
  // (or given up: the range is then dead space, reclaimed by compaction).
  class Slot {
   public:
    ~Slot();
    const Pack& pack() const { return *pack_; }
    uint64_t offset() const { return offset_; }
    // Writes data at offset + at.
    Status Write(std::span<const char> data, uint64_t at = 0);

   private:
    friend class PackStore;
    Slot(PackStore* store, std::shared_ptr<Pack> pack, uint64_t offset)
        : store_(store), pack_(std::move(pack)), offset_(offset) {}
    PackStore* store_;
    std::shared_ptr<Pack> pack_;
    uint64_t offset_;
  };

  // REQUIRES: 0 < length <= pack size.
  Result<std::unique_ptr<Slot>> Reserve(uint64_t length);
  // The pack for reading; NotFound when it has been unlinked.
  Result<std::shared_ptr<Pack>> Open(const BlobId& id);
  // Whether pack receives no more writes (not active, no reservation in flight).
  bool Retired(const BlobId& id);
  // Unlinks a pack that the index no longer knows.
  Status Remove(const BlobId& id);

 private:
  std::unique_ptr<Slot> TryReserveLocked(uint64_t length);
  void Unreserve(Pack* pack);

  BlobStore* blobs_;
  const uint64_t pack_size_;
  Hooks hooks_;
  std::mutex roll_mu_;  // serialises creating packs (lock order: roll_mu_, then mu_)
  std::mutex mu_;
  std::shared_ptr<Pack> active_;
  std::unordered_map<BlobId, std::shared_ptr<Pack>, BlobIdHash> open_;
};

}  // namespace ferry::local
