// LocalStore: opening and closing a root, and bucket operations. Object operations are in
// local_objects.cc, multipart in multipart.cc, copies in copy_object.cc.
#include "localstore/local_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <mutex>

#include "localstore/bucket.h"
#include "localstore/maintainer.h"
#include "localstore/recovery.h"
#include "s3/errors.h"
#include "s3/names.h"

namespace ferry {

using local::Bucket;

LocalStore::LocalStore(std::string root, const Clock& clock, const LocalStoreOptions& options)
    : root_(std::move(root)), clock_(clock), options_(options) {}

Result<std::unique_ptr<LocalStore>> LocalStore::Open(const std::string& root, const Clock& clock,
                                                     const LocalStoreOptions& options) {
  std::error_code ec;
  // A root made here is the owner's alone (objects and keys are nobody else's business); an
  // existing directory keeps the modes its owner gave it.
  if (std::filesystem::create_directories(root, ec)) {
    std::filesystem::permissions(root, std::filesystem::perms::owner_all, ec);
  }
  if (ec) return local::IoError("create store root " + root, ec.value());
  auto abs = std::filesystem::canonical(root, ec);
  if (ec) return local::IoError("resolve store root " + root, ec.value());
  std::unique_ptr<LocalStore> store(new LocalStore(abs.string(), clock, options));
  FERRY_RETURN_IF_ERROR(store->Init());
  return store;
}

Status LocalStore::Init() {
  FERRY_ASSIGN_OR_RETURN(root_fd_, local::OpenDir(AT_FDCWD, root_));
  FERRY_RETURN_IF_ERROR(local::PrepareRoot(root_fd_.get(), options_.fsync));
  FERRY_ASSIGN_OR_RETURN(lock_fd_, local::LockRoot(root_fd_.get()));
  FERRY_ASSIGN_OR_RETURN(recovery_.recovered_unclean,
                         local::MarkDirty(root_fd_.get(), options_.fsync));
  FERRY_RETURN_IF_ERROR(local::CleanScratch(root_fd_.get(), options_.fsync));
  maintainer_ = std::make_shared<local::Maintainer>();
  FERRY_RETURN_IF_ERROR(LoadBuckets());
  if (recovery_.recovered_unclean) {
    for (auto& [name, bucket] : buckets_) {
      FERRY_ASSIGN_OR_RETURN(uint64_t swept, local::SweepStrayBlobs(*bucket));
      recovery_.swept_blobs += swept;
    }
  }
  for (auto& [name, bucket] : buckets_) bucket->StartMaintenance();
  initialized_ = true;
  return Status::OK();
}

Status LocalStore::LoadBuckets() {
  DIR* dir = ::opendir(root_.c_str());
  if (dir == nullptr) return local::IoError("opendir " + root_, errno);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (s3::ValidateBucketName(name).ok()) names.push_back(std::move(name));
  }
  ::closedir(dir);
  for (const auto& name : names) {
    struct stat st;
    if (::fstatat(root_fd_.get(), (name + "/index.db").c_str(), &st, 0) != 0) continue;
    Bucket::Env env{&clock_, options_, maintainer_, md5_};
    auto bucket = Bucket::Open(name, root_ + "/" + name, env);
    if (!bucket.ok()) return bucket.status().Annotate("bucket " + name);
    buckets_.emplace(name, std::move(bucket).value());
  }
  return Status::OK();
}

LocalStore::~LocalStore() {
  // Only a store that finished Init owns a consistent root; after a failed start the marker
  // (ours or another process's) must stay.
  bool clean = initialized_;
  {
    std::unique_lock l(mu_);
    for (auto& [name, bucket] : buckets_) clean = clean && !bucket->HasUnfinishedWork();
    buckets_.clear();
  }
  maintainer_.reset();
  if (clean) (void)local::MarkClean(root_fd_.get(), options_.fsync);
}

Result<std::shared_ptr<Bucket>> LocalStore::GetBucket(std::string_view name) const {
  std::shared_lock l(mu_);
  auto it = buckets_.find(name);
  if (it == buckets_.end()) return s3err::NoSuchBucket(name);
  return it->second;
}

Result<std::vector<BucketInfo>> LocalStore::ListBuckets() {
  std::shared_lock l(mu_);
  std::vector<BucketInfo> out;
  out.reserve(buckets_.size());
  for (const auto& [name, bucket] : buckets_) out.push_back({name, bucket->created_ns()});
  return out;
}

Result<BucketInfo> LocalStore::HeadBucket(std::string_view name) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(name));
  return BucketInfo{bucket->name(), bucket->created_ns()};
}

Status LocalStore::CreateBucket(std::string_view name_view) {
  FERRY_RETURN_IF_ERROR(s3::ValidateBucketName(name_view));
  std::string name(name_view);
  std::unique_lock l(mu_);
  if (buckets_.contains(name)) return s3err::BucketAlreadyOwnedByYou(name);
  // Build the bucket in scratch space, then rename it into place: a crash leaves either no
  // bucket or a complete one.
  std::string tmp = ".ferry/tmp/" + name + "." + local::RandomHex(8);
  if (::mkdirat(root_fd_.get(), tmp.c_str(), 0700) != 0) {
    return local::IoError("mkdir " + tmp, errno);
  }
  Status s = Bucket::Create(root_ + "/" + tmp, clock_.NowNanos(), options_);
  if (s.ok() && ::renameat2(root_fd_.get(), tmp.c_str(), root_fd_.get(), name.c_str(),
                            RENAME_NOREPLACE) != 0) {
    s = errno == EEXIST ? s3err::BucketAlreadyOwnedByYou(name)
                        : local::IoError("rename " + tmp + " to " + name, errno);
  }
  if (!s.ok()) {
    (void)local::RemoveTree(root_fd_.get(), tmp);
    return s;
  }
  FERRY_RETURN_IF_ERROR(local::Fsync(root_fd_.get(), root_, options_.fsync));
  Bucket::Env env{&clock_, options_, maintainer_, md5_};
  FERRY_ASSIGN_OR_RETURN(auto bucket, Bucket::Open(name, root_ + "/" + name, env));
  bucket->StartMaintenance();
  buckets_.emplace(name, std::move(bucket));
  return Status::OK();
}

Status LocalStore::DeleteBucket(std::string_view name) {
  std::unique_lock l(mu_);
  auto it = buckets_.find(name);
  if (it == buckets_.end()) return s3err::NoSuchBucket(name);
  std::shared_ptr<Bucket> bucket = it->second;
  FERRY_RETURN_IF_ERROR(bucket->MarkDeleted());
  // Move the directory out of the namespace at once; its files are removed when the last
  // reader or writer still using the bucket is gone (or at the next start).
  std::string trash = ".ferry/trash/" + std::string(name) + "." + local::RandomHex(8);
  if (::renameat(root_fd_.get(), std::string(name).c_str(), root_fd_.get(), trash.c_str()) != 0) {
    int err = errno;
    bucket->UnmarkDeleted();
    return local::IoError("rename bucket " + std::string(name) + " to " + trash, err);
  }
  buckets_.erase(it);
  bucket->SetTrashPath(root_ + "/" + trash);
  return local::Fsync(root_fd_.get(), root_, options_.fsync);
}

LocalStore::Stats LocalStore::stats() const {
  Stats s = recovery_;
  std::shared_lock l(mu_);
  for (const auto& [name, bucket] : buckets_) {
    auto c = bucket->commit_stats();
    s.commits += c.commits;
    s.mutations += c.mutations;
  }
  return s;
}

}  // namespace ferry
