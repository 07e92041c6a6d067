// Validation of bucket names and object keys as S3 applies it, and the UTF-8 check behind it.
//
// Bucket names follow the current general-purpose bucket rules: 3-63 characters of lower-case
// letters, digits, '.' and '-'; first and last characters a letter or digit; no "..";
// not formatted as an IPv4 address; none of the reserved prefixes ("xn--", "sthree-",
// "amzn-s3-demo-") or suffixes ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3").
// Object keys must be non-empty, at most 1024 bytes and valid UTF-8. Pure and thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

#include "ferry/status.h"

namespace ferry::s3 {

inline constexpr size_t kMaxKeyBytes = 1024;

// OK, or InvalidBucketName (400).
Status ValidateBucketName(std::string_view name);

// OK, or KeyTooLongError (400) past 1024 bytes, or InvalidArgument (400) for an empty key or
// one that is not valid UTF-8.
Status ValidateObjectKey(std::string_view key);

// Strict UTF-8: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
bool IsValidUtf8(std::string_view text);

}  // namespace ferry::s3
