#include "store/body_digests.h"

#include <string>

#include "core/checksum.h"
#include "s3/errors.h"

namespace ferry {

Status CheckContentMd5(std::string_view content_md5, std::string_view body_md5) {
  auto raw = Base64Decode(content_md5);
  if (!raw || raw->size() != 16) {
    return s3err::InvalidDigest("The Content-MD5 you specified is not valid.");
  }
  if (*raw != body_md5) {
    return s3err::BadDigest("The Content-MD5 you specified did not match what we received.");
  }
  return Status::OK();
}

Result<ObjectChecksum> CheckChecksum(const ObjectChecksum& expected, std::string_view digest) {
  if (!expected.value.empty()) {
    auto raw = Base64Decode(expected.value);
    if (!raw || raw->size() != digest.size()) {
      return s3err::InvalidRequest("Value for " + ChecksumHeaderName(expected.algorithm) +
                                   " header is invalid.");
    }
    if (*raw != digest) {
      return s3err::BadDigest("The " + std::string(ChecksumAlgorithmName(expected.algorithm)) +
                              " you specified did not match the calculated checksum.");
    }
  }
  return ObjectChecksum{expected.algorithm, Base64Encode(digest)};
}

}  // namespace ferry
