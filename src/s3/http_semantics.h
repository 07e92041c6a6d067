// HTTP request semantics S3 applies to GET and HEAD: byte ranges and conditional requests.
//
// Range: S3 honours a single "bytes=" range. A syntactically invalid Range header, another
// unit, or several ranges are ignored and the whole object is returned (200), as S3 does;
// a valid range that starts at or past the end of the object (and any range of an empty
// object) is unsatisfiable: InvalidRange, 416. A range that ends past the end is shortened.
//
// Conditions: evaluated in the order of RFC 7232 section 6, as S3 documents it:
//   If-Match false                                  -> 412 PreconditionFailed
//   else If-Unmodified-Since false (no If-Match)    -> 412 PreconditionFailed
//   If-None-Match false                             -> 304 NotModified
//   else If-Modified-Since false (no If-None-Match) -> 304 NotModified
// so If-Match true with If-Unmodified-Since false gives 200, and If-None-Match false with
// If-Modified-Since true gives 304. For CopyObject's x-amz-copy-source-if-* every failure is
// 412. Dates that do not parse are ignored. ETags compare without quotes, "W/" prefixes are
// ignored, lists ("a", "b") and "*" are understood. Pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/result.h"
#include "ferry/status.h"

namespace ferry::s3 {

struct ByteRange {
  uint64_t start = 0;
  uint64_t length = 0;  // > 0
};

// nullopt: serve the whole object. header is the Range header's value ("" when absent).
Result<std::optional<ByteRange>> ParseRange(std::string_view header, uint64_t object_size);

// x-amz-copy-source-range of UploadPartCopy, stricter than Range as S3 is: exactly
// "bytes=first-last" with first <= last < object_size, else InvalidArgument (400).
Result<ByteRange> ParseCopySourceRange(std::string_view header, uint64_t object_size);

// "bytes 0-9/100" for a 206 answer.
std::string ContentRangeHeader(const ByteRange& range, uint64_t object_size);
// "bytes */100" for a 416 answer.
std::string UnsatisfiedContentRangeHeader(uint64_t object_size);

// The raw header values; empty means absent.
struct GetConditions {
  std::string if_match;
  std::string if_none_match;
  std::string if_modified_since;
  std::string if_unmodified_since;
};

enum class ConditionTarget { kGetOrHead, kCopySource };

// OK, or PreconditionFailed (412), or NotModified (304; only for kGetOrHead).
// etag may be given with or without quotes; last_modified_ns is the object's time.
Status EvaluateGetConditions(const GetConditions& conditions, std::string_view etag,
                             int64_t last_modified_ns,
                             ConditionTarget target = ConditionTarget::kGetOrHead);

// True when the If-Match / If-None-Match style list `header` names `etag` (or is "*").
bool EtagListMatches(std::string_view header, std::string_view etag);

// The ETag without surrounding quotes (and without a "W/" prefix).
std::string_view UnquoteEtag(std::string_view etag);
// The ETag with quotes, as sent in ETag headers and XML: "\"abc\"".
std::string QuoteEtag(std::string_view etag);
// True when etag (unquoted) is a plain hex MD5 (32 hex digits, no "-N" suffix): the ETag of a
// single-part upload without SSE-KMS/SSE-C, which is the MD5 of the body.
bool IsMd5Etag(std::string_view etag);

}  // namespace ferry::s3
