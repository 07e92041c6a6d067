// Where data is: a local path or an S3 URL ("s3://bucket/prefix"). Pure parsing.
#pragma once

#include <string>
#include <string_view>

#include "ferry/result.h"

namespace ferry::transfer {

struct Location {
  bool is_s3 = false;
  std::string bucket;  // is_s3
  std::string key;     // is_s3: key or prefix, may be empty
  std::string path;    // !is_s3

  // "s3://bucket/key" or the path, for messages.
  std::string ToString() const { return is_s3 ? "s3://" + bucket + "/" + key : path; }
};

// "s3://bucket[/key]" → S3; anything else → a local path ("-" is kept as is for stdio).
// InvalidArgument for "s3://", "s3:///key" and other S3 URLs without a bucket.
Result<Location> ParseLocation(std::string_view text);

// The key for a file at `relative` (a path under the source root, '/'-separated) uploaded to
// prefix: "prefix/relative", without doubling a slash the prefix already ends with.
std::string JoinKey(std::string_view prefix, std::string_view relative);

}  // namespace ferry::transfer
