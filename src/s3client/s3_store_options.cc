#include "s3client/s3_store_options.h"

#include <algorithm>

namespace ferry {

S3StoreOptions S3StoreOptionsFromAwsConfig(const AwsConfig& config) {
  S3StoreOptions o;
  o.endpoint = config.endpoint_url;
  if (!config.region.empty()) o.region = config.region;
  o.credentials.access_key_id = config.access_key_id;
  o.credentials.secret_access_key = config.secret_access_key;
  o.credentials.session_token = config.session_token;
  if (config.addressing_style == "path") {
    o.addressing = AddressingStyle::kPath;
  } else if (config.addressing_style == "virtual") {
    o.addressing = AddressingStyle::kVirtualHosted;
  } else {
    o.addressing = AddressingStyle::kAuto;
  }
  return o;
}

uint64_t ChoosePartSize(uint64_t object_size, uint64_t preferred) {
  uint64_t size = std::clamp(preferred, kMinPartSize, kMaxPartSize);
  if (object_size == 0) return size;
  uint64_t needed = (object_size + kMaxParts - 1) / kMaxParts;
  if (needed > size) {
    constexpr uint64_t kMiB = 1 << 20;
    size = (needed + kMiB - 1) / kMiB * kMiB;
  }
  return std::min(size, kMaxPartSize);
}

}  // namespace ferry
