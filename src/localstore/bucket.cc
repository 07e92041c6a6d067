#include "localstore/bucket.h"

#include <fcntl.h>

#include <spdlog/spdlog.h>

#include "localstore/archive_tier.h"
#include "localstore/bucket_index.h"
#include "localstore/pack_maintenance.h"
#include "s3/errors.h"

namespace ferry::local {

Status Bucket::Create(const std::string& dir, int64_t created_ns, const LocalStoreOptions& o) {
  FERRY_ASSIGN_OR_RETURN(UniqueFd bucket_dir, OpenDir(AT_FDCWD, dir));
  FERRY_RETURN_IF_ERROR(BlobStore::Init(bucket_dir.get()));
  {
    FERRY_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Db> db,
                           sqlite::Db::Open(dir + "/index.db", /*create=*/true));
    FERRY_RETURN_IF_ERROR(index::Configure(*db, /*writer=*/true, o.fsync));
    FERRY_RETURN_IF_ERROR(index::CreateSchema(*db, created_ns));
  }
  FERRY_RETURN_IF_ERROR(FsyncDir(bucket_dir.get(), "blobs", o.fsync));
  return Fsync(bucket_dir.get(), dir, o.fsync);
}

Bucket::Bucket(std::string name, std::string path, Env env)
    : name_(std::move(name)),
      path_(std::move(path)),
      env_(std::move(env)),
      pins_([this](const BlobId& id) { (void)blobs_->Remove(id); }),
      readers_(path_ + "/index.db", env_.options.max_idle_readers, env_.options.fsync) {}

Result<std::shared_ptr<Bucket>> Bucket::Open(std::string name, std::string path, Env env) {
  std::shared_ptr<Bucket> b(new Bucket(std::move(name), std::move(path), std::move(env)));
  const LocalStoreOptions& o = b->env_.options;
  FERRY_ASSIGN_OR_RETURN(b->dir_, OpenDir(AT_FDCWD, b->path_));
  FERRY_ASSIGN_OR_RETURN(b->blobs_, BlobStore::Open(b->dir_.get(), o.fsync));
  FERRY_ASSIGN_OR_RETURN(b->writer_, sqlite::Db::Open(b->path_ + "/index.db", /*create=*/false));
  FERRY_RETURN_IF_ERROR(index::Configure(*b->writer_, /*writer=*/true, o.fsync));
  FERRY_ASSIGN_OR_RETURN(b->created_ns_, index::ReadSchema(*b->writer_));
  FERRY_ASSIGN_OR_RETURN(VersioningStatus versioning, index::GetVersioning(*b->writer_));
  b->versioned_ = versioning != VersioningStatus::kUnversioned;
  sqlite3_wal_hook(b->writer_->raw(), &Bucket::WalHook, b.get());
  b->committer_ = std::make_unique<GroupCommitter>(b->writer_.get(), o.max_commit_batch, o.fsync);
  Bucket* self = b.get();
  PackStore::Hooks hooks{[self](const BlobId& id) {
                           return self->Mutate([&](sqlite::Db& db) {
                             return index::AddPackBytes(db, id, 0, nullptr);
                           });
                         },
                         [self] { self->RequestPackMaintenance(); }};
  b->packs_ = std::make_unique<PackStore>(b->blobs_.get(), o.pack_size, std::move(hooks));
  return b;
}

Bucket::~Bucket() {
  committer_.reset();
  maintenance_db_.reset();
  writer_.reset();
  if (!trash_path_.empty()) (void)RemoveTree(AT_FDCWD, trash_path_);
}

Status Bucket::Mutate(const GroupCommitter::Mutation& fn, int sync_fd) {
  if (deleted_) return s3err::NoSuchBucket(name_);
  return committer_->Run(
      [&](sqlite::Db& db) -> Status {
        if (deleted_) return s3err::NoSuchBucket(name_);
        return fn(db);
      },
      sync_fd);
}

Result<DbPool::Lease> Bucket::Reader() {
  if (deleted_) return s3err::NoSuchBucket(name_);
  return readers_.Acquire();
}

void Bucket::Collect(std::string_view key, const Garbage& garbage) {
  pins_.Release(key, garbage.blobs);
  for (const auto& name : garbage.archived) {
    // After the commit that dropped the last reference; one that fails leaves an unreferenced
    // copy behind (space, never data).
    if (!env_.options.archive) break;
    if (Status st = env_.options.archive->Remove(name); !st.ok()) {
      spdlog::warn("archive: could not remove {}: {}", name, st.ToString());
    }
  }
  uint64_t dropped = pack_bytes_dropped_ += garbage.pack_bytes;
  // Compaction only pays once a good part of a pack is dead.
  if (!garbage.emptied_packs.empty() || dropped >= env_.options.pack_size / 4) {
    pack_bytes_dropped_ = 0;
    RequestPackMaintenance();
  }
}

Result<std::optional<std::string>> Bucket::Config(std::string_view name) {
  {
    std::lock_guard lock(config_mu_);
    if (auto it = config_cache_.find(name); it != config_cache_.end()) return it->second;
  }
  FERRY_ASSIGN_OR_RETURN(DbPool::Lease db, Reader());
  FERRY_ASSIGN_OR_RETURN(auto document, index::GetConfig(*db, name));
  std::lock_guard lock(config_mu_);
  // A SetConfig that ran meanwhile cached the newer document: keep it.
  return config_cache_.emplace(std::string(name), std::move(document)).first->second;
}

Status Bucket::SetConfig(std::string_view name, const std::optional<std::string>& document) {
  std::lock_guard lock(config_mu_);  // held across the commit: the cache follows commit order
  FERRY_RETURN_IF_ERROR(
      Mutate([&](sqlite::Db& db) { return index::SetConfig(db, name, document); }));
  config_cache_.insert_or_assign(std::string(name), document);
  return Status::OK();
}

Status Bucket::MarkDeleted() {
  return Mutate([this](sqlite::Db& db) -> Status {
    // Pending multipart uploads go with the bucket, as in S3.
    FERRY_ASSIGN_OR_RETURN(bool objects, index::HasObjects(db));
    if (objects) return s3err::BucketNotEmpty(name_);
    deleted_ = true;  // every later mutation sees this: it runs after us on this queue
    return Status::OK();
  });
}

bool Bucket::HasUnfinishedWork() const {
  return needs_sweep_ || live_writers_ > 0 || pins_.HasDeferred();
}

void Bucket::RequestPackMaintenance() {
  if (!packs_wanted_.exchange(true)) RequestMaintenance();
}

void Bucket::RequestMaintenance() {
  if (auto maintainer = env_.maintainer.lock()) maintainer->Request(weak_from_this());
}

int Bucket::WalHook(void* arg, sqlite3*, const char*, int pages) {
  auto* self = static_cast<Bucket*>(arg);
  if (pages >= self->env_.options.checkpoint_wal_pages &&
      !self->checkpoint_wanted_.exchange(true)) {
    self->RequestMaintenance();
  }
  return SQLITE_OK;
}

void Bucket::RunMaintenance() {
  if (deleted_) return;
  if (maintenance_db_ == nullptr) {
    auto db = sqlite::Db::Open(path_ + "/index.db", /*create=*/false);
    if (!db.ok()) return;
    maintenance_db_ = std::move(db).value();
    if (!index::Configure(*maintenance_db_, /*writer=*/true, env_.options.fsync).ok()) {
      maintenance_db_.reset();
      return;
    }
  }
  if (checkpoint_wanted_.exchange(false)) Checkpoint();
  if (packs_wanted_.exchange(false)) {
    auto more = CleanPacks(*this, *maintenance_db_);
    if (more.ok() && *more) RequestPackMaintenance();
  }
}

void Bucket::Checkpoint() {
  sqlite3_wal_checkpoint_v2(maintenance_db_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                            nullptr);
}

}  // namespace ferry::local
