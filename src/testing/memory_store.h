// MemoryStore: an ObjectStore that keeps everything in memory, for tests of the layers above
// the store (fs, transfer, sync, train). It means by every call what LocalStore and S3Store
// mean (tests/store_contract_test.cc holds all three to it): the same S3 error codes, listing
// order and paging, ETags (MD5, MD5 of MD5s "-N" for multipart), checksums and multipart rules
// (parts of at least 5 MiB but the last). No versions and no bucket configurations (the
// ObjectStore defaults). Thread-safe; readers see the version they opened.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "ferry/object_store.h"

namespace ferry::testing {

class MemoryStore final : public ObjectStore {
 public:
  // clock: for Last-Modified and upload times; null: the system clock. min_part_size: of
  // every multipart part but the last (S3's 5 MiB; tests of small uploads lower it).
  explicit MemoryStore(const Clock* clock = nullptr, uint64_t min_part_size = 5 << 20);
  ~MemoryStore() override;

  StoreInfo Info() const override { return {"memory"}; }
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

  Result<MultipartUploadInfo> CreateMultipartUpload(const CreateMultipartRequest& req) override;
  Result<std::unique_ptr<ObjectWriter>> UploadPart(const UploadPartRequest& req) override;
  Result<ObjectMeta> CompleteMultipartUpload(const CompleteMultipartRequest& req) override;
  Status AbortMultipartUpload(std::string_view bucket, std::string_view key,
                              std::string_view upload_id) override;
  Result<ListPartsResult> ListParts(const ListPartsRequest& req) override;
  Result<ListUploadsResult> ListMultipartUploads(const ListUploadsRequest& req) override;

  struct Object;  // an immutable version: its bytes and metadata
  struct Part;
  struct Upload;
  struct Bucket;

 private:
  friend class MemoryWriter;
  // Makes a written object the key's latest, checking the request's conditions against the
  // one it replaces. REQUIRES: mu_ held.
  Result<ObjectMeta> InstallLocked(const std::string& bucket, std::shared_ptr<Object> object,
                                   bool if_none_match_star, const std::string& if_match_etag);
  Result<Bucket*> FindLocked(std::string_view bucket);
  int64_t Now() const { return clock_->NowNanos(); }

  const Clock* const clock_;
  const uint64_t min_part_size_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Bucket>, std::less<>> buckets_;  // guarded by mu_
  uint64_t next_upload_ = 1;                                             // guarded by mu_
};

}  // namespace ferry::testing
