// Bucket: the live state of one bucket directory, ROOT/<name>/ (see doc/LOCAL_STORE.md):
// its index (one writer connection behind a GroupCommitter, a pool of reader connections),
// its blob and pack files, and the pins that keep blobs of open readers alive.
//
// Shared by the store and by every reader and writer working in it (shared_ptr), so a
// bucket deleted or a store closed under them stays valid memory. Deletion is itself a group
// committed mutation: once it has run, every later mutation fails with NoSuchBucket.
// Background work (WAL checkpoints, pack clean-up) runs on the store's Maintainer thread.
// Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/md5_batcher.h"
#include "localstore/blob_pins.h"
#include "localstore/blob_store.h"
#include "localstore/db_pool.h"
#include "localstore/group_commit.h"
#include "localstore/local_store_options.h"
#include "localstore/maintainer.h"
#include "localstore/object_row.h"
#include "localstore/pack_store.h"

namespace ferry::local {

class Bucket final : public MaintenanceTarget, public std::enable_shared_from_this<Bucket> {
 public:
  struct Env {
    const Clock* clock;
    LocalStoreOptions options;
    std::weak_ptr<Maintainer> maintainer;
    std::shared_ptr<Md5Batcher> md5;  // the store's, shared by its buckets
  };

  // Fills the empty directory dir with a new bucket's index and blob directories and makes
  // them durable. The caller then renames dir into place.
  static Status Create(const std::string& dir, int64_t created_ns, const LocalStoreOptions& o);
  // Opens the bucket in directory path (ROOT/<name>). No background work starts before
  // StartMaintenance(), so that start-up recovery sees a still directory.
  static Result<std::shared_ptr<Bucket>> Open(std::string name, std::string path, Env env);
  // Schedules a first maintenance pass (packs emptied before a crash or left by the last run).
  void StartMaintenance() { RequestPackMaintenance(); }
  ~Bucket() override;

  const std::string& name() const { return name_; }
  // Whether versioning was ever enabled here (from then on, versions have ids; it never
  // goes back).
  bool versioned() const { return versioned_; }
  void MarkVersioned() { versioned_ = true; }
  // The server's documents (bucket table "config:<name>"), read through a cache: every write
  // consults the Object Lock configuration.
  Result<std::optional<std::string>> Config(std::string_view name);
  Status SetConfig(std::string_view name, const std::optional<std::string>& document);
  int64_t created_ns() const { return created_ns_; }
  const Clock& clock() const { return *env_.clock; }
  const LocalStoreOptions& options() const { return env_.options; }
  BlobStore& blobs() { return *blobs_; }
  PackStore& packs() { return *packs_; }
  Md5Batcher& md5() { return *env_.md5; }
  BlobPins& pins() { return pins_; }

  // Runs fn in a group-committed transaction on the writer connection; NoSuchBucket once the
  // bucket is deleted. See GroupCommitter::Run (sync_fd: a data file to make durable first).
  Status Mutate(const GroupCommitter::Mutation& fn, int sync_fd = -1);
  // A reader connection; NoSuchBucket once the bucket is deleted.
  Result<DbPool::Lease> Reader();
  // After a successful mutation: unlinks released blobs (once unpinned; key is the object they
  // belonged to, empty for parts) and schedules pack clean-up.
  void Collect(std::string_view key, const Garbage& garbage);

  // Marks the bucket deleted if it holds no objects and no uploads (BucketNotEmpty).
  Status MarkDeleted();
  // Undoes MarkDeleted when the directory could not be moved away.
  void UnmarkDeleted() { deleted_ = false; }
  bool deleted() const { return deleted_; }
  // The directory now lives at trash_path (renamed there by DeleteBucket); it is removed
  // when the last user of the bucket is gone.
  void SetTrashPath(std::string trash_path) { trash_path_ = std::move(trash_path); }

  // A commit failed in a way that may have left an unreferenced blob: the next start must
  // sweep (the store keeps its unclean-shutdown marker).
  void SetNeedsSweep() { needs_sweep_ = true; }
  // True when a crash now could leave stray blobs (writers open, unlinks deferred, ...).
  bool HasUnfinishedWork() const;
  // Writers in flight, for HasUnfinishedWork.
  void WriterStarted() { live_writers_++; }
  void WriterDone() { live_writers_--; }

  GroupCommitter::Stats commit_stats() const { return committer_->stats(); }
  // Asks the maintainer for a pack clean-up pass.
  void RequestPackMaintenance();
  void RunMaintenance() override;

 private:
  Bucket(std::string name, std::string path, Env env);
  static int WalHook(void* arg, sqlite3* db, const char* name, int pages);
  void RequestMaintenance();
  void Checkpoint();

  const std::string name_;
  const std::string path_;
  Env env_;
  int64_t created_ns_ = 0;
  UniqueFd dir_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<PackStore> packs_;
  BlobPins pins_;
  std::unique_ptr<sqlite::Db> writer_;
  std::unique_ptr<GroupCommitter> committer_;
  DbPool readers_;
  std::unique_ptr<sqlite::Db> maintenance_db_;  // used only by the maintainer thread
  std::atomic<bool> checkpoint_wanted_{false};
  std::atomic<bool> packs_wanted_{false};
  std::atomic<uint64_t> pack_bytes_dropped_{0};
  std::atomic<bool> deleted_{false};
  std::atomic<bool> versioned_{false};
  std::mutex config_mu_;  // guards config_cache_
  std::map<std::string, std::optional<std::string>, std::less<>> config_cache_;
  std::atomic<bool> needs_sweep_{false};
  std::atomic<int> live_writers_{0};
  std::string trash_path_;  // absolute; empty unless deleted
};

// Keeps Bucket::WriterStarted/WriterDone balanced.
class WriterToken {
 public:
  explicit WriterToken(std::shared_ptr<Bucket> bucket) : bucket_(std::move(bucket)) {
    bucket_->WriterStarted();
  }
  ~WriterToken() { bucket_->WriterDone(); }
  WriterToken(const WriterToken&) = delete;
  WriterToken& operator=(const WriterToken&) = delete;
  Bucket& operator*() const { return *bucket_; }
  Bucket* operator->() const { return bucket_.get(); }
  const std::shared_ptr<Bucket>& get() const { return bucket_; }

 private:
  std::shared_ptr<Bucket> bucket_;
};

}  // namespace ferry::local
