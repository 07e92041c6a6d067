// Reading the request headers S3 operations share: stored object headers and metadata,
// checksums, storage class, conditional headers and the copy source.
#pragma once

#include <optional>
#include <string>

#include "ferry/object_store.h"
#include "s3/http_semantics.h"
#include "s3/object_lock.h"
#include "s3/tagging.h"
#include "server/response.h"
#include "server/s3_request.h"

namespace ferry::server {

// Content-Type and friends, x-amz-meta-*, x-amz-storage-class (InvalidStorageClass when
// unknown), x-amz-tagging and the x-amz-object-lock-* headers. The aws-chunked content
// coding is not stored.
Result<ObjectHeaders> ObjectHeadersFrom(const S3Request& req);

// The additional checksum the client asked for: x-amz-checksum-<alg> with a value, or only an
// algorithm via x-amz-sdk-checksum-algorithm / x-amz-checksum-algorithm / x-amz-trailer.
Result<std::optional<ObjectChecksum>> RequestedChecksum(const S3Request& req);

// Content-MD5, validated to be base64 of 16 bytes (InvalidDigest otherwise); empty if absent.
Result<std::string> ContentMd5(const S3Request& req);

s3::GetConditions GetConditionsFrom(const S3Request& req);

// If-None-Match: * and If-Match: <etag> on a write (PutObject, CompleteMultipartUpload). Other
// forms are NotImplemented, as in S3.
struct WriteConditions {
  bool if_none_match_star = false;
  std::string if_match_etag;  // without quotes
};
Result<WriteConditions> WriteConditionsFrom(const S3Request& req, ErrorExtras& extras);

struct CopySource {
  std::string bucket;
  std::string key;
  std::string version_id;  // "?versionId=" of the header; empty: the latest
};

// x-amz-bypass-governance-retention: true.
DeleteOptions DeleteOptionsFrom(const S3Request& req);

// The versionId query parameter: empty when absent (the latest); present but empty is
// InvalidArgument.
Result<std::string> VersionIdParam(const S3Request& req);
// x-amz-copy-source: "bucket/key" or "/bucket/key", percent-encoded; versionId other than
// "null" is refused.
Result<CopySource> ParseCopySource(std::string_view header);

// An integer query parameter: fallback when absent, InvalidArgument when not an integer or
// below min, clamped to max.
// The partNumber parameter: 1..10000, else InvalidArgument naming the argument in extras.
Result<int> PartNumberParam(const S3Request& req, ErrorExtras& extras);

Result<int> IntQueryParam(const S3Request& req, std::string_view name, int fallback, int min,
                          int max);

}  // namespace ferry::server
