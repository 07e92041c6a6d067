// One verified upload request: PutObject or UploadPart of a body held in memory or in a range
// of an open file (sent straight from the file, never copied into memory).
//
// Before sending, the body is read once to compute its additional checksum (sent as
// x-amz-checksum-<algorithm>) and, for small in-memory bodies, its SHA-256 (the signed
// payload hash; other bodies go as UNSIGNED-PAYLOAD). After a 2xx answer the server's echoed
// checksum must match ours; when it echoes none, a plain-MD5 ETag must be the MD5 of the body.
// A mismatch, like a BadDigest answer, means the bytes were damaged on the way: the request is
// retried, then fails with Corruption. Thread-safe (no shared state besides the transport).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/checksum.h"
#include "ferry/object_store.h"
#include "s3client/s3_transport.h"

namespace ferry {

// Bytes in memory, or [offset, offset + length) of an open file (fd >= 0).
struct UploadBody {
  std::string_view data;
  int fd = -1;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t size() const { return fd >= 0 ? length : data.size(); }
};

// Feeds the whole body through every non-null hasher, reading a file body once in 1 MiB
// pieces. IOError when the file is shorter than the range.
Status HashBody(const UploadBody& body, Hasher* a, Hasher* b = nullptr);

// base64 of the body's digest for an S3 checksum algorithm (REQUIRES: not kNone).
Result<std::string> ChecksumOfBody(const UploadBody& body, ChecksumAlgorithm algorithm);

struct UploadRequest {
  const char* op = "PutObject";  // or "UploadPart"
  std::string bucket;
  std::string key;
  s3::QueryParams query;   // partNumber and uploadId for UploadPart
  s3::HeaderList headers;  // metadata, conditions, Content-MD5, ...
  ChecksumAlgorithm checksum_algorithm = ChecksumAlgorithm::kCrc32c;  // kNone: none sent
};

struct UploadOutcome {
  std::string etag;                      // unquoted
  std::string checksum;                  // base64 value sent (empty when kNone)
  std::optional<ObjectChecksum> echoed;  // what the server answered, if anything
  int64_t date_ns = 0;                   // the answer's Date header, 0 when absent
};

Result<UploadOutcome> UploadVerified(S3Transport& transport, const UploadRequest& request,
                                     const UploadBody& body);

}  // namespace ferry
