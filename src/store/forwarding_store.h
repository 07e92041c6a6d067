// ForwardingStore: an ObjectStore that passes every call to another store. A decorator that
// changes one or two calls derives from it and overrides only those.
#pragma once

#include <memory>
#include <utility>

#include "ferry/object_store.h"

namespace ferry {

class ForwardingStore : public ObjectStore {
 public:
  // The inner store must outlive this one unless it is handed over.
  explicit ForwardingStore(ObjectStore& inner) : inner_(inner) {}
  explicit ForwardingStore(std::unique_ptr<ObjectStore> owned)
      : owned_(std::move(owned)), inner_(*owned_) {}

  ObjectStore& inner() const { return inner_; }

  StoreInfo Info() const override { return inner_.Info(); }
  Result<std::vector<BucketInfo>> ListBuckets() override { return inner_.ListBuckets(); }
  Status CreateBucket(std::string_view bucket) override { return inner_.CreateBucket(bucket); }
  Status DeleteBucket(std::string_view bucket) override { return inner_.DeleteBucket(bucket); }
  Result<BucketInfo> HeadBucket(std::string_view bucket) override {
    return inner_.HeadBucket(bucket);
  }
  Result<ListObjectsPage> ListObjects(const ListObjectsRequest& req) override {
    return inner_.ListObjects(req);
  }
  Result<ObjectMeta> HeadObject(std::string_view bucket, std::string_view key) override {
    return inner_.HeadObject(bucket, key);
  }
  Result<std::unique_ptr<ObjectReader>> OpenObject(std::string_view bucket, std::string_view key,
                                                   const OpenHints& hints = {}) override {
    return inner_.OpenObject(bucket, key, hints);
  }
  Result<std::unique_ptr<ObjectWriter>> PutObject(const PutObjectRequest& req) override {
    return inner_.PutObject(req);
  }
  Result<ObjectMeta> CopyObject(const CopyObjectRequest& req) override {
    return inner_.CopyObject(req);
  }
  Status DeleteObject(std::string_view bucket, std::string_view key) override {
    return inner_.DeleteObject(bucket, key);
  }
  Result<std::vector<Status>> DeleteObjects(std::string_view bucket,
                                            const std::vector<std::string>& keys) override {
    return inner_.DeleteObjects(bucket, keys);
  }
  Result<MultipartUploadInfo> CreateMultipartUpload(const CreateMultipartRequest& req) override {
    return inner_.CreateMultipartUpload(req);
  }
  Result<std::unique_ptr<ObjectWriter>> UploadPart(const UploadPartRequest& req) override {
    return inner_.UploadPart(req);
  }
  Result<ObjectMeta> CompleteMultipartUpload(const CompleteMultipartRequest& req) override {
    return inner_.CompleteMultipartUpload(req);
  }
  Result<PartInfo> UploadPartCopy(const UploadPartCopyRequest& req) override {
    return inner_.UploadPartCopy(req);
  }
  Status AbortMultipartUpload(std::string_view bucket, std::string_view key,
                              std::string_view upload_id) override {
    return inner_.AbortMultipartUpload(bucket, key, upload_id);
  }
  Result<ListPartsResult> ListParts(const ListPartsRequest& req) override {
    return inner_.ListParts(req);
  }
  Result<ListUploadsResult> ListMultipartUploads(const ListUploadsRequest& req) override {
    return inner_.ListMultipartUploads(req);
  }
  Status SetBucketVersioning(std::string_view bucket, VersioningStatus status) override {
    return inner_.SetBucketVersioning(bucket, status);
  }
  Result<VersioningStatus> GetBucketVersioning(std::string_view bucket) override {
    return inner_.GetBucketVersioning(bucket);
  }
  Result<ListVersionsPage> ListObjectVersions(const ListVersionsRequest& req) override {
    return inner_.ListObjectVersions(req);
  }
  Result<ObjectMeta> HeadObjectVersion(std::string_view bucket, std::string_view key,
                                       std::string_view version_id) override {
    return inner_.HeadObjectVersion(bucket, key, version_id);
  }
  Result<std::unique_ptr<ObjectReader>> OpenObjectVersion(std::string_view bucket,
                                                          std::string_view key,
                                                          std::string_view version_id,
                                                          const OpenHints& hints = {}) override {
    return inner_.OpenObjectVersion(bucket, key, version_id, hints);
  }
  Result<DeleteOutcome> DeleteObjectVersion(std::string_view bucket, std::string_view key,
                                            std::string_view version_id,
                                            const DeleteOptions& options = {}) override {
    return inner_.DeleteObjectVersion(bucket, key, version_id, options);
  }
  Result<ObjectMeta> EditObjectVersion(std::string_view bucket, std::string_view key,
                                       std::string_view version_id, const HeadersEdit& edit,
                                       std::string_view if_match_etag = {}) override {
    return inner_.EditObjectVersion(bucket, key, version_id, edit, if_match_etag);
  }
  Result<int> RestoreObject(const RestoreObjectRequest& req) override {
    return inner_.RestoreObject(req);
  }
  Status SetBucketConfig(std::string_view bucket, std::string_view name,
                         const std::optional<std::string>& document) override {
    return inner_.SetBucketConfig(bucket, name, document);
  }
  Result<std::optional<std::string>> GetBucketConfig(std::string_view bucket,
                                                     std::string_view name) override {
    return inner_.GetBucketConfig(bucket, name);
  }

 private:
  const std::unique_ptr<ObjectStore> owned_;
  ObjectStore& inner_;
};

}  // namespace ferry
