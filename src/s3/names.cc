#include "s3/names.h"

#include <cstdint>

#include "s3/errors.h"

namespace ferry::s3 {
namespace {

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Four dot-separated groups of 1-3 digits, as S3 means by "formatted as an IP address".
bool LooksLikeIpv4(std::string_view s) {
  int groups = 0;
  while (true) {
    size_t n = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
    if (n == 0 || n > 3) return false;
    ++groups;
    s.remove_prefix(n);
    if (s.empty()) return groups == 4;
    if (s.front() != '.') return false;
    s.remove_prefix(1);
  }
}

}  // namespace

Status ValidateBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return s3err::InvalidBucketName(name);
  if (!IsLowerAlnum(name.front()) || !IsLowerAlnum(name.back())) {
    return s3err::InvalidBucketName(name);
  }
  for (char c : name) {
    if (!IsLowerAlnum(c) && c != '.' && c != '-') return s3err::InvalidBucketName(name);
  }
  if (name.find("..") != std::string_view::npos || LooksLikeIpv4(name)) {
    return s3err::InvalidBucketName(name);
  }
  for (std::string_view prefix : {"xn--", "sthree-", "amzn-s3-demo-"}) {
    if (name.starts_with(prefix)) return s3err::InvalidBucketName(name);
  }
  for (std::string_view suffix : {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}) {
    if (name.ends_with(suffix)) return s3err::InvalidBucketName(name);
  }
  return Status::OK();
}

Status ValidateObjectKey(std::string_view key) {
  if (key.empty()) return s3err::InvalidArgument("The object key must not be empty");
  if (key.size() > kMaxKeyBytes) return s3err::KeyTooLong(key);
  if (!IsValidUtf8(key)) return s3err::InvalidArgument("The object key is not valid UTF-8");
  return Status::OK();
}

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t cp;
    uint32_t min;
    if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += extra + 1;
  }
  return true;
}

}  // namespace ferry::s3
