#include "store/bucket.h"

#include <fcntl.h>

#include "s3/errors.h"
#include "store/bucket_index.h"

namespace ferry::local {

Status Bucket::Create(const std::string& dir, int64_t created_ns, bool fsync) {
  FERRY_ASSIGN_OR_RETURN(UniqueFd bucket_dir, OpenDir(AT_FDCWD, dir));
  FERRY_RETURN_IF_ERROR(BlobStore::Init(bucket_dir.get()));
  {
    FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(dir + "/index.db", /*create=*/true));
    FERRY_RETURN_IF_ERROR(index::Configure(*db, /*writer=*/true, fsync));
    FERRY_RETURN_IF_ERROR(index::CreateSchema(*db, created_ns));
  }
  FERRY_RETURN_IF_ERROR(FsyncDir(bucket_dir.get(), "blobs", fsync));
  return Fsync(bucket_dir.get(), dir, fsync);
}

Bucket::Bucket(std::string name, std::string path, Env env)
    : name_(std::move(name)),
      path_(std::move(path)),
      env_(std::move(env)),
      pins_([this](const BlobId& id) { (void)blobs_->Remove(id); }),
      readers_(path_ + "/index.db", env_.options.max_idle_readers, env_.options.fsync) {}

Result<std::shared_ptr<Bucket>> Bucket::Open(std::string name, std::string path, Env env) {
  std::shared_ptr<Bucket> b(new Bucket(std::move(name), std::move(path), std::move(env)));
  FERRY_ASSIGN_OR_RETURN(b->dir_, OpenDir(AT_FDCWD, b->path_));
  FERRY_ASSIGN_OR_RETURN(b->blobs_, BlobStore::Open(b->dir_.get(), b->env_.options.fsync));
  FERRY_ASSIGN_OR_RETURN(b->writer_, Db::Open(b->path_ + "/index.db", /*create=*/false));
  FERRY_RETURN_IF_ERROR(index::Configure(*b->writer_, /*writer=*/true, b->env_.options.fsync));
  FERRY_ASSIGN_OR_RETURN(b->created_ns_, index::ReadSchema(*b->writer_));
  sqlite3_wal_hook(b->writer_->raw(), &Bucket::WalHook, b.get());
  b->committer_ =
      std::make_unique<GroupCommitter>(b->writer_.get(), b->env_.options.max_commit_batch);
  return b;
}

Bucket::~Bucket() {
  committer_.reset();
  checkpoint_db_.reset();
  writer_.reset();
  if (!trash_path_.empty()) (void)RemoveTree(AT_FDCWD, trash_path_);
}

Status Bucket::Mutate(const GroupCommitter::Mutation& fn) {
  if (deleted_) return s3err::NoSuchBucket(name_);
  return committer_->Run([&](Db& db) -> Status {
    if (deleted_) return s3err::NoSuchBucket(name_);
    return fn(db);
  });
}

Result<DbPool::Lease> Bucket::Reader() {
  if (deleted_) return s3err::NoSuchBucket(name_);
  return readers_.Acquire();
}

Status Bucket::MarkDeleted() {
  return Mutate([this](Db& db) -> Status {
    FERRY_ASSIGN_OR_RETURN(bool objects, index::HasObjects(db));
    FERRY_ASSIGN_OR_RETURN(bool uploads, index::HasUploads(db));
    if (objects || uploads) return s3err::BucketNotEmpty(name_);
    deleted_ = true;  // every later mutation sees this: it runs after us on this queue
    return Status::OK();
  });
}

bool Bucket::HasUnfinishedWork() const {
  return needs_sweep_ || live_writers_ > 0 || pins_.HasDeferred();
}

int Bucket::WalHook(void* arg, sqlite3*, const char*, int pages) {
  auto* self = static_cast<Bucket*>(arg);
  if (pages >= self->env_.options.checkpoint_wal_pages &&
      !self->checkpoint_requested_.exchange(true)) {
    if (auto checkpointer = self->env_.checkpointer.lock()) {
      checkpointer->Request(self->weak_from_this());
    } else {
      self->checkpoint_requested_ = false;
    }
  }
  return SQLITE_OK;
}

void Bucket::RunCheckpoint() {
  checkpoint_requested_ = false;
  if (deleted_) return;
  if (checkpoint_db_ == nullptr) {
    auto db = Db::Open(path_ + "/index.db", /*create=*/false);
    if (!db.ok()) return;
    checkpoint_db_ = std::move(db).value();
    if (!index::Configure(*checkpoint_db_, /*writer=*/true, env_.options.fsync).ok()) {
      checkpoint_db_.reset();
      return;
    }
  }
  sqlite3_wal_checkpoint_v2(checkpoint_db_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                            nullptr);
}

}  // namespace ferry::local
