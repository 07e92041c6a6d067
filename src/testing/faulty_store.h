// FaultyStore: wraps any ObjectStore and makes chosen calls fail, stall, read short or find
// their object replaced, by rule (as Mountpoint's failure_client does for its S3 client), so the
// layers above the store can be tested on their error paths without a network or a FUSE mount.
//
//   FaultyStore store(inner);
//   store.Add({.call = StoreCall::kRead, .key_prefix = "data/", .error = s3err::SlowDown("x"),
//              .skip = 2, .times = 1});  // the third read under data/ fails, once
//
// Rules are checked in the order added; the first that matches a call and has faults left
// applies. Every call is counted (calls()). Thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ferry/object_store.h"
#include "store/forwarding_store.h"

namespace ferry::testing {

enum class StoreCall {
  kListBuckets,
  kCreateBucket,
  kDeleteBucket,
  kHeadBucket,
  kListObjects,
  kHeadObject,
  kOpenObject,
  kRead,    // ObjectReader::ReadAt of an opened object
  kPut,     // PutObject (the writer's creation)
  kAppend,  // ObjectWriter::Append or AppendFile of a PutObject or UploadPart writer
  kCommit,  // ObjectWriter::Commit
  kCopyObject,
  kDeleteObject,
  kDeleteObjects,
  kCreateMultipart,
  kUploadPart,
  kCompleteMultipart,
  kUploadPartCopy,
  kAbortMultipart,
  kListParts,
  kListUploads,
  kCount
};

struct FaultRule {
  StoreCall call = StoreCall::kRead;
  // Calls on keys (list: prefixes, buckets: names) starting with this; empty: all.
  std::string key_prefix;
  // Returned instead of the call's result; OK: the call goes through (after delay, cut short).
  Status error;
  int skip = 0;                        // matching calls let through untouched first
  int times = -1;                      // then this many get the fault; -1: every one
  std::chrono::milliseconds delay{0};  // slept before the call (or its error)
  // kRead: at most this many bytes per read (a short read); 0: no limit.
  size_t short_read = 0;
  // kRead: the object was replaced since it was opened: reads fail as a pinned reader's do
  // (PreconditionFailed) whatever error says.
  bool replaced = false;
};

// Calls no rule can name (bucket versioning and configurations, edits of a version's headers)
// go straight to the inner store (ForwardingStore).
class FaultyStore final : public ForwardingStore {
 public:
  explicit FaultyStore(ObjectStore& inner) : ForwardingStore(inner), inner_(inner) {}

  void Add(FaultRule rule);
  void Clear();
  // Calls of this kind made so far (faulted or not).
  int calls(StoreCall call) const;

  // The rule that applies to this call, if any, counting the call (for the wrapped readers
  // and writers).
  struct Fault {
    Status error;
    std::chrono::milliseconds delay{0};
    size_t short_read = 0;
    bool replaced = false;
  };
  std::optional<Fault> Check(StoreCall call, std::string_view key);
  // Check, sleeping the delay; the error to return instead of the call (OK: go on).
  Status Enter(StoreCall call, std::string_view key);

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
  Result<std::vector<Status>> DeleteObjects(std::string_view bucket,
                                            const std::vector<std::string>& keys) override;
  Result<MultipartUploadInfo> CreateMultipartUpload(const CreateMultipartRequest& req) override;
  Result<std::unique_ptr<ObjectWriter>> UploadPart(const UploadPartRequest& req) override;
  Result<ObjectMeta> CompleteMultipartUpload(const CompleteMultipartRequest& req) override;
  Result<PartInfo> UploadPartCopy(const UploadPartCopyRequest& req) override;
  Status AbortMultipartUpload(std::string_view bucket, std::string_view key,
                              std::string_view upload_id) override;
  Result<ListPartsResult> ListParts(const ListPartsRequest& req) override;
  Result<ListUploadsResult> ListMultipartUploads(const ListUploadsRequest& req) override;

  // Versions count as the calls they stand for (a version listing as kListObjects, ...).
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

 private:
  struct ActiveRule {
    FaultRule rule;
    int seen = 0;  // matching calls so far
  };
  ObjectStore& inner_;
  mutable std::mutex mu_;
  std::vector<ActiveRule> rules_;                                    // guarded by mu_
  std::array<int, static_cast<size_t>(StoreCall::kCount)> calls_{};  // guarded by mu_
};

}  // namespace ferry::testing
