#include "store/names.h"

#include <cctype>

#include "s3/errors.h"

namespace ferry::local {
namespace {

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool LooksLikeIpv4(std::string_view name) {
  int groups = 0;
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('.', i);
    if (j == std::string_view::npos) j = name.size();
    std::string_view part = name.substr(i, j - i);
    if (part.empty() || part.size() > 3) return false;
    for (char c : part) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    ++groups;
    i = j + 1;
  }
  return groups == 4;
}

}  // namespace

Status ValidateBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return s3err::InvalidBucketName(name);
  for (char c : name) {
    if (!IsLowerAlnum(c) && c != '.' && c != '-') return s3err::InvalidBucketName(name);
  }
  if (!IsLowerAlnum(name.front()) || !IsLowerAlnum(name.back())) {
    return s3err::InvalidBucketName(name);
  }
  if (name.find("..") != std::string_view::npos || LooksLikeIpv4(name) ||
      name.starts_with("xn--") || name.ends_with("-s3alias") || name.ends_with("--ol-s3")) {
    return s3err::InvalidBucketName(name);
  }
  return Status::OK();
}

Status ValidateKey(std::string_view key) {
  if (key.empty()) return s3err::InvalidArgument("The object key must not be empty");
  if (key.size() > kMaxKeyBytes) return s3err::KeyTooLong(key);
  if (!IsValidUtf8(key)) return s3err::InvalidArgument("The object key is not valid UTF-8");
  return Status::OK();
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::optional<std::string> PrefixSuccessor(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    auto last = static_cast<unsigned char>(out.back());
    if (last != 0xFF) {
      out.back() = static_cast<char>(last + 1);
      return out;
    }
    out.pop_back();
  }
  return std::nullopt;
}

}  // namespace ferry::local
