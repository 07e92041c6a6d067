#include "s3/http_semantics.h"

#include <algorithm>
#include <limits>

#include "core/ascii.h"
#include "s3/errors.h"
#include "s3/http_date.h"

namespace ferry::s3 {
namespace {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != prefix[i]) return false;
  }
  return true;
}

// A run of decimal digits; saturates at uint64 max instead of overflowing.
std::optional<uint64_t> ParseDigits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    unsigned d = static_cast<unsigned>(c - '0');
    v = v > (kMax - d) / 10 ? kMax : v * 10 + d;
  }
  return v;
}

Status Unsatisfiable() {
  return s3err::InvalidRange("The requested range is not satisfiable");
}

}  // namespace

Result<std::optional<ByteRange>> ParseRange(std::string_view header, uint64_t object_size) {
  const std::optional<ByteRange> kWhole;
  header = TrimSpaceTab(header);
  if (!StartsWithNoCase(header, "bytes=")) return kWhole;
  std::string_view spec = TrimSpaceTab(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return kWhole;  // several ranges: ignored
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return kWhole;
  std::string_view first_text = TrimSpaceTab(spec.substr(0, dash));
  std::string_view last_text = TrimSpaceTab(spec.substr(dash + 1));

  if (first_text.empty()) {  // "-N": the last N bytes
    auto suffix = ParseDigits(last_text);
    if (!suffix) return kWhole;
    if (*suffix == 0 || object_size == 0) return Unsatisfiable();
    uint64_t length = std::min(*suffix, object_size);
    return std::optional<ByteRange>(ByteRange{object_size - length, length});
  }
  auto first = ParseDigits(first_text);
  if (!first) return kWhole;
  uint64_t last = std::numeric_limits<uint64_t>::max();
  if (!last_text.empty()) {
    auto parsed = ParseDigits(last_text);
    if (!parsed || *parsed < *first) return kWhole;
    last = *parsed;
  }
  if (*first >= object_size) return Unsatisfiable();
  last = std::min(last, object_size - 1);
  return std::optional<ByteRange>(ByteRange{*first, last - *first + 1});
}

Result<ByteRange> ParseCopySourceRange(std::string_view header, uint64_t object_size) {
  std::string_view spec = TrimSpaceTab(header);
  std::optional<uint64_t> first, last;
  if (spec.starts_with("bytes=")) {
    spec.remove_prefix(6);
    size_t dash = spec.find('-');
    if (dash != std::string_view::npos) {
      first = ParseDigits(spec.substr(0, dash));
      last = ParseDigits(spec.substr(dash + 1));
    }
  }
  if (!first || !last || *first > *last) {
    return s3err::InvalidArgument(
        "The x-amz-copy-source-range value must be of the form bytes=first-last where first "
        "and last are the zero-based offsets of the first and last bytes to copy");
  }
  if (*last >= object_size) {
    return s3err::InvalidArgument("Range specified is not valid for source object of size: " +
                                  std::to_string(object_size));
  }
  return ByteRange{*first, *last - *first + 1};
}

std::string ContentRangeHeader(const ByteRange& range, uint64_t object_size) {
  return "bytes " + std::to_string(range.start) + "-" +
         std::to_string(range.start + range.length - 1) + "/" + std::to_string(object_size);
}

std::string UnsatisfiedContentRangeHeader(uint64_t object_size) {
  return "bytes */" + std::to_string(object_size);
}

std::string_view UnquoteEtag(std::string_view etag) {
  etag = TrimSpaceTab(etag);
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return etag;
}

std::string QuoteEtag(std::string_view etag) {
  std::string out = "\"";
  out += UnquoteEtag(etag);
  out += '"';
  return out;
}

bool IsMd5Etag(std::string_view etag) {
  if (etag.size() != 32) return false;
  for (char c : etag) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

bool EtagListMatches(std::string_view header, std::string_view etag) {
  std::string_view want = UnquoteEtag(etag);
  header = TrimSpaceTab(header);
  if (header == "*") return true;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = TrimSpaceTab(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (item == "*") return true;
    if (!item.empty() && UnquoteEtag(item) == want) return true;
  }
  return false;
}

Status EvaluateGetConditions(const GetConditions& c, std::string_view etag,
                             int64_t last_modified_ns, ConditionTarget target) {
  const int64_t modified_s = NanosToSeconds(last_modified_ns);
  const std::string_view if_match = TrimSpaceTab(c.if_match);
  const std::string_view if_none_match = TrimSpaceTab(c.if_none_match);

  if (!if_match.empty()) {
    if (!EtagListMatches(if_match, etag)) {
      return s3err::PreconditionFailed(
          "At least one of the pre-conditions you specified did not hold");
    }
  } else if (auto since = ParseHttpDate(c.if_unmodified_since); since && modified_s > *since) {
    return s3err::PreconditionFailed(
        "At least one of the pre-conditions you specified did not hold");
  }

  bool not_modified = false;
  if (!if_none_match.empty()) {
    not_modified = EtagListMatches(if_none_match, etag);
  } else if (auto since = ParseHttpDate(c.if_modified_since); since && modified_s <= *since) {
    not_modified = true;
  }
  if (not_modified) {
    if (target == ConditionTarget::kCopySource) {
      return s3err::PreconditionFailed(
          "At least one of the pre-conditions you specified did not hold");
    }
    return s3err::NotModified();
  }
  return Status::OK();
}

}  // namespace ferry::s3
