#include "transfer/location.h"

namespace ferry::transfer {

Result<Location> ParseLocation(std::string_view text) {
  Location loc;
  if (!text.starts_with("s3://")) {
    if (text.empty()) return Status::InvalidArgument("empty path");
    loc.path = std::string(text);
    return loc;
  }
  std::string_view rest = text.substr(5);
  auto slash = rest.find('/');
  loc.is_s3 = true;
  loc.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) loc.key = std::string(rest.substr(slash + 1));
  if (loc.bucket.empty()) {
    return Status::InvalidArgument(std::string(text) +
                                   ": an S3 URL needs a bucket: s3://BUCKET/KEY");
  }
  return loc;
}

std::string JoinKey(std::string_view prefix, std::string_view relative) {
  if (prefix.empty()) return std::string(relative);
  std::string key(prefix);
  if (!key.ends_with('/')) key += '/';
  key += relative;
  return key;
}

}  // namespace ferry::transfer
