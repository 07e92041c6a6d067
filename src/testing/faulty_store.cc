#include "testing/faulty_store.h"

#include <optional>
#include <thread>

#include "s3/errors.h"

namespace ferry::testing {
namespace {

class FaultyReader final : public ObjectReader {
 public:
  FaultyReader(FaultyStore& store, std::unique_ptr<ObjectReader> inner, std::string key)
      : store_(store), inner_(std::move(inner)), key_(std::move(key)) {}
  const ObjectMeta& meta() const override { return inner_->meta(); }
  Result<size_t> ReadAt(uint64_t offset, std::span<char> out) override {
    auto fault = store_.Check(StoreCall::kRead, key_);
    if (!fault) return inner_->ReadAt(offset, out);
    if (fault->delay.count() > 0) std::this_thread::sleep_for(fault->delay);
    if (fault->replaced) {
      return s3err::PreconditionFailed(
          "At least one of the pre-conditions you specified did not "
          "hold (the object was replaced)");
    }
    if (!fault->error.ok()) return fault->error;
    if (fault->short_read > 0 && out.size() > fault->short_read) {
      out = out.first(fault->short_read);
    }
    return inner_->ReadAt(offset, out);
  }
  std::vector<Extent> Extents(uint64_t, uint64_t) override { return {}; }  // reads only

 private:
  FaultyStore& store_;
  const std::unique_ptr<ObjectReader> inner_;
  const std::string key_;
};

class FaultyWriter final : public ObjectWriter {
 public:
  FaultyWriter(FaultyStore& store, std::unique_ptr<ObjectWriter> inner, std::string key)
      : store_(store), inner_(std::move(inner)), key_(std::move(key)) {}
  Status Append(std::span<const char> data) override {
    FERRY_RETURN_IF_ERROR(store_.Enter(StoreCall::kAppend, key_));
    return inner_->Append(data);
  }
  Status AppendFile(int fd, uint64_t offset, uint64_t length) override {
    FERRY_RETURN_IF_ERROR(store_.Enter(StoreCall::kAppend, key_));
    return inner_->AppendFile(fd, offset, length);
  }
  void SetExpectedChecksum(const ObjectChecksum& checksum) override {
    inner_->SetExpectedChecksum(checksum);
  }
  Result<ObjectMeta> Commit() override {
    FERRY_RETURN_IF_ERROR(store_.Enter(StoreCall::kCommit, key_));
    return inner_->Commit();
  }

 private:
  FaultyStore& store_;
  const std::unique_ptr<ObjectWriter> inner_;
  const std::string key_;
};

}  // namespace

void FaultyStore::Add(FaultRule rule) {
  std::lock_guard lock(mu_);
  rules_.push_back({std::move(rule), 0});
}

void FaultyStore::Clear() {
  std::lock_guard lock(mu_);
  rules_.clear();
}

int FaultyStore::calls(StoreCall call) const {
  std::lock_guard lock(mu_);
  return calls_[static_cast<size_t>(call)];
}

std::optional<FaultyStore::Fault> FaultyStore::Check(StoreCall call, std::string_view key) {
  std::lock_guard lock(mu_);
  ++calls_[static_cast<size_t>(call)];
  for (ActiveRule& active : rules_) {
    const FaultRule& r = active.rule;
    if (r.call != call || !key.starts_with(r.key_prefix)) continue;
    const int n = active.seen++;
    if (n < r.skip || (r.times >= 0 && n >= r.skip + r.times)) continue;
    return Fault{r.error, r.delay, r.short_read, r.replaced};
  }
  return std::nullopt;
}

Status FaultyStore::Enter(StoreCall call, std::string_view key) {
  auto fault = Check(call, key);
  if (!fault) return Status::OK();
  if (fault->delay.count() > 0) std::this_thread::sleep_for(fault->delay);
  return fault->error;
}

Result<std::vector<BucketInfo>> FaultyStore::ListBuckets() {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kListBuckets, ""));
  return inner_.ListBuckets();
}

Status FaultyStore::CreateBucket(std::string_view bucket) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kCreateBucket, bucket));
  return inner_.CreateBucket(bucket);
}

Status FaultyStore::DeleteBucket(std::string_view bucket) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kDeleteBucket, bucket));
  return inner_.DeleteBucket(bucket);
}

Result<BucketInfo> FaultyStore::HeadBucket(std::string_view bucket) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kHeadBucket, bucket));
  return inner_.HeadBucket(bucket);
}

Result<ListObjectsPage> FaultyStore::ListObjects(const ListObjectsRequest& req) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kListObjects, req.prefix));
  return inner_.ListObjects(req);
}

Result<ObjectMeta> FaultyStore::HeadObject(std::string_view bucket, std::string_view key) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kHeadObject, key));
  return inner_.HeadObject(bucket, key);
}

Result<std::unique_ptr<ObjectReader>> FaultyStore::OpenObject(std::string_view bucket,
                                                              std::string_view key,
                                                              const OpenHints& hints) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kOpenObject, key));
  FERRY_ASSIGN_OR_RETURN(auto reader, inner_.OpenObject(bucket, key, hints));
  return std::unique_ptr<ObjectReader>(
      new FaultyReader(*this, std::move(reader), std::string(key)));
}

Result<std::unique_ptr<ObjectWriter>> FaultyStore::PutObject(const PutObjectRequest& req) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kPut, req.key));
  FERRY_ASSIGN_OR_RETURN(auto writer, inner_.PutObject(req));
  return std::unique_ptr<ObjectWriter>(new FaultyWriter(*this, std::move(writer), req.key));
}

Result<ObjectMeta> FaultyStore::CopyObject(const CopyObjectRequest& req) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kCopyObject, req.dst_key));
  return inner_.CopyObject(req);
}

Status FaultyStore::DeleteObject(std::string_view bucket, std::string_view key) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kDeleteObject, key));
  return inner_.DeleteObject(bucket, key);
}

Result<std::vector<Status>> FaultyStore::DeleteObjects(std::string_view bucket,
                                                       const std::vector<std::string>& keys) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kDeleteObjects, keys.empty() ? "" : keys.front()));
  return inner_.DeleteObjects(bucket, keys);
}

Result<MultipartUploadInfo> FaultyStore::CreateMultipartUpload(const CreateMultipartRequest& req) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kCreateMultipart, req.key));
  return inner_.CreateMultipartUpload(req);
}

Result<std::unique_ptr<ObjectWriter>> FaultyStore::UploadPart(const UploadPartRequest& req) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kUploadPart, req.key));
  FERRY_ASSIGN_OR_RETURN(auto writer, inner_.UploadPart(req));
  return std::unique_ptr<ObjectWriter>(new FaultyWriter(*this, std::move(writer), req.key));
}

Result<ObjectMeta> FaultyStore::CompleteMultipartUpload(const CompleteMultipartRequest& req) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kCompleteMultipart, req.key));
  return inner_.CompleteMultipartUpload(req);
}

Result<PartInfo> FaultyStore::UploadPartCopy(const UploadPartCopyRequest& req) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kUploadPartCopy, req.key));
  return inner_.UploadPartCopy(req);
}

Status FaultyStore::AbortMultipartUpload(std::string_view bucket, std::string_view key,
                                         std::string_view upload_id) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kAbortMultipart, key));
  return inner_.AbortMultipartUpload(bucket, key, upload_id);
}

Result<ListPartsResult> FaultyStore::ListParts(const ListPartsRequest& req) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kListParts, req.key));
  return inner_.ListParts(req);
}

Result<ListUploadsResult> FaultyStore::ListMultipartUploads(const ListUploadsRequest& req) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kListUploads, req.prefix));
  return inner_.ListMultipartUploads(req);
}

Result<ListVersionsPage> FaultyStore::ListObjectVersions(const ListVersionsRequest& req) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kListObjects, req.prefix));
  return inner_.ListObjectVersions(req);
}

Result<ObjectMeta> FaultyStore::HeadObjectVersion(std::string_view bucket, std::string_view key,
                                                  std::string_view version_id) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kHeadObject, key));
  return inner_.HeadObjectVersion(bucket, key, version_id);
}

Result<std::unique_ptr<ObjectReader>> FaultyStore::OpenObjectVersion(std::string_view bucket,
                                                                     std::string_view key,
                                                                     std::string_view version_id,
                                                                     const OpenHints& hints) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kOpenObject, key));
  FERRY_ASSIGN_OR_RETURN(auto reader, inner_.OpenObjectVersion(bucket, key, version_id, hints));
  return std::unique_ptr<ObjectReader>(
      new FaultyReader(*this, std::move(reader), std::string(key)));
}

Result<DeleteOutcome> FaultyStore::DeleteObjectVersion(std::string_view bucket,
                                                       std::string_view key,
                                                       std::string_view version_id,
                                                       const DeleteOptions& options) {
  FERRY_RETURN_IF_ERROR(Enter(StoreCall::kDeleteObject, key));
  return inner_.DeleteObjectVersion(bucket, key, version_id, options);
}

}  // namespace ferry::testing
