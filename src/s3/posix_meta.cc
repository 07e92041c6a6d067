#include "s3/posix_meta.h"

#include <charconv>
#include <cstdio>

namespace ferry::s3 {
namespace {

template <typename T>
std::optional<T> ParseNumber(std::string_view text, int base = 10) {
  T v{};
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

const std::string* Find(const std::map<std::string, std::string>& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

}  // namespace

std::string FormatNanosTimestamp(int64_t ns) {
  return std::to_string(ns) + "ns";
}

std::optional<int64_t> ParseNanosTimestamp(std::string_view text) {
  if (text.ends_with("ns")) return ParseNumber<int64_t>(text.substr(0, text.size() - 2));
  auto ms = ParseNumber<int64_t>(text);
  int64_t ns = 0;
  if (!ms || __builtin_mul_overflow(*ms, 1'000'000, &ns)) return std::nullopt;
  return ns;
}

void EncodePosixAttributes(const PosixAttributes& attrs,
                           std::map<std::string, std::string>& user_metadata) {
  if (attrs.mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%07o", *attrs.mode);
    user_metadata["file-permissions"] = buf;
  }
  if (attrs.uid) user_metadata["file-owner"] = std::to_string(*attrs.uid);
  if (attrs.gid) user_metadata["file-group"] = std::to_string(*attrs.gid);
  if (attrs.mtime_ns) user_metadata["file-mtime"] = FormatNanosTimestamp(*attrs.mtime_ns);
  if (attrs.atime_ns) user_metadata["file-atime"] = FormatNanosTimestamp(*attrs.atime_ns);
}

PosixAttributes DecodePosixAttributes(const std::map<std::string, std::string>& m) {
  PosixAttributes a;
  if (auto* v = Find(m, "file-permissions")) {
    a.mode = ParseNumber<uint32_t>(*v, 8);
  } else if (auto* s3fs = Find(m, "mode")) {
    a.mode = ParseNumber<uint32_t>(*s3fs);
  }
  if (auto* v = Find(m, "file-owner")) {
    a.uid = ParseNumber<uint32_t>(*v);
  } else if (auto* s3fs = Find(m, "uid")) {
    a.uid = ParseNumber<uint32_t>(*s3fs);
  }
  if (auto* v = Find(m, "file-group")) {
    a.gid = ParseNumber<uint32_t>(*v);
  } else if (auto* s3fs = Find(m, "gid")) {
    a.gid = ParseNumber<uint32_t>(*s3fs);
  }
  if (auto* v = Find(m, "file-mtime")) {
    a.mtime_ns = ParseNanosTimestamp(*v);
  } else if (auto* s3fs = Find(m, "mtime")) {
    int64_t ns = 0;
    auto s = ParseNumber<int64_t>(*s3fs);
    if (s && !__builtin_mul_overflow(*s, 1'000'000'000, &ns)) a.mtime_ns = ns;
  }
  if (auto* v = Find(m, "file-atime")) a.atime_ns = ParseNanosTimestamp(*v);
  return a;
}

}  // namespace ferry::s3
