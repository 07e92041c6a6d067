#include "s3client/s3_object_headers.h"

#include <charconv>

#include "core/checksum.h"
#include "s3/http_date.h"
#include "s3/http_semantics.h"
#include "s3/restore.h"
#include "s3/xml_response.h"

namespace ferry {
namespace {

bool ParseU64(std::string_view s, uint64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

void AppendObjectHeaders(const ObjectHeaders& h, s3::HeaderList& out) {
  auto add = [&](const char* name, const std::string& value) {
    if (!value.empty()) out.emplace_back(name, value);
  };
  add("Content-Type", h.content_type);
  add("Content-Encoding", h.content_encoding);
  add("Content-Disposition", h.content_disposition);
  add("Content-Language", h.content_language);
  add("Cache-Control", h.cache_control);
  add("Expires", h.expires);
  for (const auto& [name, value] : h.user_metadata) {
    out.emplace_back("x-amz-meta-" + http::ToLower(name), value);
  }
  if (!h.storage_class.empty() && h.storage_class != "STANDARD") {
    out.emplace_back("x-amz-storage-class", h.storage_class);
  }
}

std::optional<ContentRange> ParseContentRange(std::string_view v) {
  if (!v.starts_with("bytes ")) return std::nullopt;
  v.remove_prefix(6);
  auto slash = v.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  ContentRange r;
  if (!ParseU64(v.substr(slash + 1), &r.total)) return std::nullopt;
  std::string_view span = v.substr(0, slash);
  if (span == "*") {
    r.unsatisfied = true;
    return r;
  }
  auto dash = span.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  if (!ParseU64(span.substr(0, dash), &r.first) || !ParseU64(span.substr(dash + 1), &r.last) ||
      r.last < r.first) {
    return std::nullopt;
  }
  return r;
}

std::optional<ObjectChecksum> ChecksumFromHeaders(const http::Headers& h) {
  std::string type = h.GetOr("x-amz-checksum-type", "");
  for (auto algorithm :
       {ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc64Nvme,
        ChecksumAlgorithm::kSha256, ChecksumAlgorithm::kSha1}) {
    if (auto v = h.Get(ChecksumHeaderName(algorithm)); v && !v->empty()) {
      return s3::ParseChecksumValue(algorithm, *v, type);
    }
  }
  return std::nullopt;
}

ObjectMeta ObjectMetaFromHeaders(std::string_view key, const http::Headers& h) {
  ObjectMeta m;
  m.key = std::string(key);
  m.etag = std::string(s3::UnquoteEtag(h.GetOr("etag", "")));
  if (auto cr = h.Get("content-range"); cr && ParseContentRange(*cr)) {
    m.size = ParseContentRange(*cr)->total;
  } else {
    uint64_t len = 0;
    if (ParseU64(h.GetOr("content-length", ""), &len)) m.size = len;
  }
  if (auto lm = s3::ParseHttpDate(h.GetOr("last-modified", ""))) {
    m.last_modified_ns = *lm * s3::kNanosPerSecond;
  }
  ObjectHeaders& oh = m.headers;
  oh.content_type = h.GetOr("content-type", "");
  oh.content_encoding = h.GetOr("content-encoding", "");
  oh.content_disposition = h.GetOr("content-disposition", "");
  oh.content_language = h.GetOr("content-language", "");
  oh.cache_control = h.GetOr("cache-control", "");
  oh.expires = h.GetOr("expires", "");
  for (const auto& f : h.fields()) {
    std::string name = http::ToLower(f.name);
    if (name.starts_with("x-amz-meta-") && name.size() > 11) {
      auto [it, inserted] = oh.user_metadata.emplace(name.substr(11), f.value);
      if (!inserted) it->second += "," + f.value;
    }
  }
  oh.storage_class = h.GetOr("x-amz-storage-class", "");
  if (oh.storage_class == "STANDARD") oh.storage_class.clear();
  if (auto restore = h.Get("x-amz-restore")) (void)s3::ParseRestoreHeader(*restore, oh);
  // Sent only while an INTELLIGENT_TIERING object cannot be read.
  if (auto tier = h.Get("x-amz-archive-status")) oh.archive_access_tier = std::string(*tier);
  m.checksum = ChecksumFromHeaders(h);
  uint64_t parts = 0;
  if (ParseU64(h.GetOr("x-amz-mp-parts-count", ""), &parts)) {
    m.parts_count = static_cast<int>(parts);
  } else if (auto dash = m.etag.rfind('-'); dash != std::string::npos) {
    uint64_t n = 0;
    if (ParseU64(std::string_view(m.etag).substr(dash + 1), &n))
      m.parts_count = static_cast<int>(n);
  }
  return m;
}

}  // namespace ferry
