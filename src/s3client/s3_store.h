// S3Store: the ObjectStore that talks to an S3-compatible endpoint over HTTP(S) — ferry serve,
// AWS S3, Ceph RGW, MinIO, s3rver.
//
// Every request is signed with SigV4 (S3RequestBuilder), sent on the pooled HttpClient, and
// retried by the one RetryPolicy on transport failures, stalls, cut-off bodies, 5xx, 429,
// SlowDown and RequestTimeout, never on other 4xx (S3Transport). Failures name the operation
// and object ("PutObject s3://b/k: 403 SignatureDoesNotMatch: ...") and carry the S3 code and
// HTTP status.
//
// How operations map onto S3 (see the file of each part for details):
//   ListObjects      ListObjectsV2 with encoding-type=url. ListObjectsRequest::start_after is
//                    the `last` of a previous page: the store remembers that page's
//                    NextContinuationToken under it and continues with the token; otherwise
//                    it sends StartAfter (past a whole common prefix when start_after is one).
//   HeadObject       HEAD with x-amz-checksum-mode: ENABLED.
//   OpenObject       one GET for the first prefetch_bytes, then pinned ranged GETs (s3_reader.h).
//   PutObject        buffered single PUT or streaming multipart upload (s3_writer.h).
//   CopyObject       server-side CopyObject; above multipart_copy_threshold, UploadPartCopy of
//                    parallel ranges pinned to the source's ETag.
//   DeleteObjects    DeleteObjects requests of up to 1000 keys, in parallel.
//   multipart API    the S3 calls of the same names (s3_multipart.h); UploadPart writers send
//                    file ranges straight from the descriptor.
// Results differ from LocalStore where S3 gives less: BucketInfo::created_ns is 0 from
// HeadBucket; ObjectMeta::part_sizes is empty except for objects this store's writer uploaded.
//
// Thread-safe. Readers and writers must be destroyed before the store.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "ferry/object_store.h"
#include "s3client/s3_bounded_cache.h"
#include "s3client/s3_store_options.h"
#include "s3client/s3_transport.h"

namespace ferry {

class S3Store final : public ObjectStore {
 public:
  // InvalidArgument for a malformed endpoint. Sends no request.
  static Result<std::unique_ptr<S3Store>> Open(const S3StoreOptions& options);
  ~S3Store() override;

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

  // Versions: ListObjectVersions, and reads and deletes with ?versionId=.
  Result<VersioningStatus> GetBucketVersioning(std::string_view bucket) override;
  Result<ListVersionsPage> ListObjectVersions(const ListVersionsRequest& req) override;
  Result<ObjectMeta> HeadObjectVersion(std::string_view bucket, std::string_view key,
                                       std::string_view version_id) override;
  Result<std::unique_ptr<ObjectReader>> OpenObjectVersion(std::string_view bucket,
                                                          std::string_view key,
                                                          std::string_view version_id,
                                                          const OpenHints& hints = {}) override;
  Result<int> RestoreObject(const RestoreObjectRequest& req) override;

  // Requests, retries and body bytes so far.
  S3Stats stats() const { return transport_->stats(); }
  StoreInfo Info() const override;
  const S3StoreOptions& options() const { return transport_->options(); }

 private:
  explicit S3Store(std::unique_ptr<S3Transport> transport);

  // Runs fn(0..n-1) on the pool and waits for all; the first failure (in index order) wins.
  Status RunParallel(size_t n, const std::function<Status(size_t)>& fn);
  Result<std::vector<Status>> DeleteBatch(std::string_view bucket,
                                          const std::vector<std::string>& keys);
  Result<ObjectMeta> MultipartCopy(const CopyObjectRequest& req, const ObjectMeta& src);
  // The checksum algorithm an upload was created with (cached, else from ListParts).
  Result<ChecksumAlgorithm> UploadAlgorithm(const CompleteMultipartRequest& req);

  std::unique_ptr<S3Transport> transport_;
  BoundedCache<std::string> list_tokens_{256};               // page `last` → continuation token
  BoundedCache<ChecksumAlgorithm> upload_algorithms_{4096};  // upload id → algorithm
  ThreadPool pool_;  // last: joined first, before what its tasks use
};

}  // namespace ferry
