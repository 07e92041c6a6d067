// The policy of a browser POST upload (S3's POST Object): a base64 JSON document with an
// expiration and conditions every form field must meet: exact matches ({"field": "value"},
// ["eq", "$field", "value"]), prefixes (["starts-with", "$field", "prefix"]) and the upload's
// size (["content-length-range", min, max]). Field names are matched ignoring case. Pure
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/result.h"

namespace ferry::s3 {

struct PostCondition {
  enum class Kind { kEq, kStartsWith };
  Kind kind = Kind::kEq;
  std::string field;  // lower-case, without '$'
  std::string value;
  std::string text;  // as S3 quotes it in an error
};

struct PostPolicy {
  int64_t expiration_ns = 0;
  std::vector<PostCondition> conditions;
  uint64_t min_length = 0;           // content-length-range, inclusive
  uint64_t max_length = UINT64_MAX;  // inclusive
};

// InvalidPolicyDocument (400) for a document that is not base64 JSON of this shape.
Result<PostPolicy> ParsePostPolicy(std::string_view base64);

// Checks the form's fields (lower-case names; "bucket" added by the caller) against the policy
// at now_ns: AccessDenied "Invalid according to Policy: ..." for an expired policy, a failed
// condition, or a field no condition names (except policy, the signature, file and x-ignore-*).
Status CheckPostFields(const PostPolicy& policy, const std::map<std::string, std::string>& fields,
                       int64_t now_ns);

// EntityTooSmall / EntityTooLarge when size is outside content-length-range.
Status CheckPostLength(const PostPolicy& policy, uint64_t size);

}  // namespace ferry::s3
