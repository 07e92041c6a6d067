// Validation of bucket names and object keys, and byte-order helpers for key ranges.
//
// Keys never become file names (blobs are named by random ids), so these rules exist for S3
// compatibility, not for path safety. Keys are compared as raw bytes, which for UTF-8 is the
// code-point order S3 lists in. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ferry/status.h"

namespace ferry::local {

inline constexpr size_t kMaxKeyBytes = 1024;

// S3 bucket naming rules: 3-63 characters of [a-z0-9.-], starting and ending with a letter or
// digit, no "..", not shaped like an IPv4 address, no reserved "xn--" prefix or "-s3alias" /
// "--ol-s3" suffix. InvalidBucketName otherwise. Names therefore never start with '.'.
Status ValidateBucketName(std::string_view name);

// A key is 1..1024 bytes of valid UTF-8: InvalidArgument when empty or not UTF-8,
// KeyTooLongError when longer.
Status ValidateKey(std::string_view key);

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(std::string_view s);

// The smallest byte string greater than every string starting with prefix, or nullopt when
// there is none (empty prefix, or all bytes 0xFF).
std::optional<std::string> PrefixSuccessor(std::string_view prefix);

}  // namespace ferry::local
