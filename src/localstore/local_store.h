// LocalStore: the ObjectStore that keeps buckets in a directory of this machine; what
// `ferry serve` stores into. The on-disk layout is specified in doc/LOCAL_STORE.md.
//
// Guarantees:
//   - An acknowledged PutObject/CopyObject/UploadPart/CompleteMultipartUpload is durable
//     (fsync of data, directory and index WAL) and atomic: readers see the old or the new
//     object, never a mix, and a crash at any moment leaves no torn or half-visible object.
//   - Keys are any valid UTF-8 of 1..1024 bytes; they are never used as file names.
//   - Many threads may call every method at once. Small PUTs from concurrent callers share
//     one fsync (group commit); reads never wait for writes.
//   - One process per root: Open() takes an exclusive lock on ROOT/.ferry/lock.
//
// Readers and writers returned by the store should be destroyed before the store. (They keep
// what they use alive, so a late destruction is safe, but the next Open may then have to
// sweep stray blobs.)
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>

#include "core/clock.h"
#include "core/md5_batcher.h"
#include "ferry/object_store.h"
#include "localstore/bucket_index.h"
#include "localstore/fs_util.h"
#include "localstore/local_store_options.h"

namespace ferry {
namespace local {
class Bucket;
class Maintainer;
}  // namespace local

class LocalStore final : public ObjectStore {
 public:
  // Opens (creating if needed) the store at root. Removes leftovers of an earlier run (temp
  // and trash directories); after an unclean shutdown also unlinks blobs no index row
  // references. Fails if another LocalStore holds root.
  // REQUIRES: clock outlives the store.
  static Result<std::unique_ptr<LocalStore>> Open(const std::string& root, const Clock& clock,
                                                  const LocalStoreOptions& options = {});
  ~LocalStore() override;

  Result<std::vector<BucketInfo>> ListBuckets() override;
  Status CreateBucket(std::string_view bucket) override;
  Status DeleteBucket(std::string_view bucket) override;
  Result<BucketInfo> HeadBucket(std::string_view bucket) override;

  Result<ListObjectsPage> ListObjects(const ListObjectsRequest& req) override;
  Result<ObjectMeta> HeadObject(std::string_view bucket, std::string_view key) override;
  Result<std::unique_ptr<ObjectReader>> OpenObject(std::string_view bucket, std::string_view key,
                                                   const OpenHints& hints = {}) override;
  Result<std::unique_ptr<ObjectWriter>> PutObject(const PutObjectRequest& req) override;
  Result<ObjectMeta> CopyObject(const CopyObjectRequest& req) override;
  Status DeleteObject(std::string_view bucket, std::string_view key) override;
  // All keys in one index commit (one fsync for up to 1000 deletions).
  Result<std::vector<Status>> DeleteObjects(std::string_view bucket,
                                            const std::vector<std::string>& keys) override;

  Result<MultipartUploadInfo> CreateMultipartUpload(const CreateMultipartRequest& req) override;
  Result<std::unique_ptr<ObjectWriter>> UploadPart(const UploadPartRequest& req) override;
  // A part that is exactly one blob of the source (a part of it, or the whole of a
  // single-part object) becomes a hard link with the source's MD5; other ranges are copied.
  Result<PartInfo> UploadPartCopy(const UploadPartCopyRequest& req) override;
  Result<ObjectMeta> CompleteMultipartUpload(const CompleteMultipartRequest& req) override;
  Status AbortMultipartUpload(std::string_view bucket, std::string_view key,
                              std::string_view upload_id) override;
  Result<ListPartsResult> ListParts(const ListPartsRequest& req) override;
  Result<ListUploadsResult> ListMultipartUploads(const ListUploadsRequest& req) override;

  Status SetBucketVersioning(std::string_view bucket, VersioningStatus status) override;
  Result<VersioningStatus> GetBucketVersioning(std::string_view bucket) override;
  Result<ListVersionsPage> ListObjectVersions(const ListVersionsRequest& req) override;
  Result<ObjectMeta> HeadObjectVersion(std::string_view bucket, std::string_view key,
                                       std::string_view version_id) override;
  Result<std::unique_ptr<ObjectReader>> OpenObjectVersion(std::string_view bucket,
                                                          std::string_view key,
                                                          std::string_view version_id,
                                                          const OpenHints& hints = {}) override;
  Result<DeleteOutcome> DeleteObjectVersion(std::string_view bucket, std::string_view key,
                                            std::string_view version_id,
                                            const DeleteOptions& options = {}) override;
  Result<ObjectMeta> EditObjectVersion(std::string_view bucket, std::string_view key,
                                       std::string_view version_id, const HeadersEdit& edit,
                                       std::string_view if_match_etag = {}) override;
  Status SetBucketConfig(std::string_view bucket, std::string_view name,
                         const std::optional<std::string>& document) override;
  Result<std::optional<std::string>> GetBucketConfig(std::string_view bucket,
                                                     std::string_view name) override;

  // ---- The archive tier (options.archive; archive_moves.cc).
  // Versions of an archived class (GLACIER, DEEP_ARCHIVE) whose bytes are still on this disk.
  Result<std::vector<local::index::PendingMove>> PendingArchiveMoves(std::string_view bucket,
                                                                     std::string_view after,
                                                                     size_t limit);
  // Moves a version's bytes to the archive tier: stored and durable there first, then one
  // index commit names them and drops the local copy. False when the version changed
  // meanwhile (its copy in the tier is removed again); an error (the tier unavailable) leaves
  // the version as it was.
  Result<bool> MoveToArchive(std::string_view bucket, const local::index::PendingMove& version);

  struct Stats {
    bool recovered_unclean = false;  // Open found the unclean-shutdown marker
    uint64_t swept_blobs = 0;        // stray blobs Open removed
    uint64_t commits = 0;            // index transactions (all buckets)
    uint64_t mutations = 0;          // index mutations they carried
  };
  Stats stats() const;

 private:
  LocalStore(std::string root, const Clock& clock, const LocalStoreOptions& options);
  Status Init();
  Status LoadBuckets();
  // The open bucket, or NoSuchBucket (also for invalid names).
  Result<std::shared_ptr<local::Bucket>> GetBucket(std::string_view name) const;

  const std::string root_;  // absolute
  const Clock& clock_;
  const LocalStoreOptions options_;
  local::UniqueFd root_fd_;
  local::UniqueFd lock_fd_;
  std::shared_ptr<local::Maintainer> maintainer_;
  // Hashes concurrent uploads' bodies side by side (see core/md5_batcher.h).
  const std::shared_ptr<Md5Batcher> md5_ = std::make_shared<Md5Batcher>();
  mutable std::shared_mutex mu_;  // guards buckets_
  std::map<std::string, std::shared_ptr<local::Bucket>, std::less<>> buckets_;
  Stats recovery_;
  bool initialized_ = false;  // Init() completed
};

}  // namespace ferry
