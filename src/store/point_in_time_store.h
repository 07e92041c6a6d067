// PointInTimeStore: another store as it was at one moment, read-only. Every key reads as the
// version that was its latest then: the newest version written no later than the moment,
// unless that is a delete marker (then the key did not exist). Built on the store's version
// listing (ListObjectVersions) and version reads, so it works against any S3 endpoint with
// versioning; a bucket without versions reads as its objects written by then.
//
// Listings walk every version of the keys they return; the versions a listing picked are
// remembered, so opening a listed key costs no further request. A delimiter listing shows the
// common prefixes the store has now, which may hold no key at the moment.
//
// Writes are refused (PermissionDenied). Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "ferry/object_store.h"

namespace ferry {

class PointInTimeStore final : public ObjectStore {
 public:
  PointInTimeStore(std::unique_ptr<ObjectStore> inner, int64_t at_ns);

  ObjectStore& inner() const { return *inner_; }
  int64_t at_ns() const { return at_ns_; }

  StoreInfo Info() const override { return inner_->Info(); }
  Result<std::vector<BucketInfo>> ListBuckets() override { return inner_->ListBuckets(); }
  Status CreateBucket(std::string_view bucket) override;
  Status DeleteBucket(std::string_view bucket) override;
  Result<BucketInfo> HeadBucket(std::string_view bucket) override {
    return inner_->HeadBucket(bucket);
  }

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

 private:
  // The version of key current at the moment (from the listing cache or a version listing);
  // NoSuchKey when there was none.
  Result<ObjectMeta> Resolve(std::string_view bucket, std::string_view key);
  void Remember(std::string_view bucket, const ObjectMeta& meta);
  Status ReadOnly() const;

  const std::unique_ptr<ObjectStore> inner_;
  const int64_t at_ns_;
  std::mutex mu_;                                         // guards resolved_
  std::unordered_map<std::string, ObjectMeta> resolved_;  // "bucket\0key" → version
};

}  // namespace ferry
