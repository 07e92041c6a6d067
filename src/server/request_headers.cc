#include "server/request_headers.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>

#include "core/checksum.h"
#include "http/headers.h"
#include "s3/errors.h"
#include "s3/http_date.h"
#include "s3/uri.h"

namespace ferry::server {
namespace {

constexpr std::array<std::string_view, 10> kStorageClasses = {
    "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
    "GLACIER",  "DEEP_ARCHIVE",       "GLACIER_IR",  "OUTPOSTS",   "EXPRESS_ONEZONE"};

// Content-Encoding without the aws-chunked coding, which only describes the transfer.
std::string StoredContentEncoding(std::string_view value) {
  std::string out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    std::string_view token = value.substr(start, comma - start);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (!token.empty() && !http::EqualsIgnoreCase(token, "aws-chunked")) {
      if (!out.empty()) out += ",";
      out += token;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

// x-amz-object-lock-mode with -retain-until-date, and -legal-hold, checked as S3 does before
// it looks at the bucket.
Status ReadObjectLockHeaders(const S3Request& req, ObjectHeaders& h) {
  auto mode = req.Header("x-amz-object-lock-mode");
  auto until = req.Header("x-amz-object-lock-retain-until-date");
  if (mode.has_value() != until.has_value()) {
    return s3err::InvalidArgument(
        "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied");
  }
  if (mode) {
    if (!s3::IsLockMode(*mode)) return s3err::InvalidArgument("Unknown wormMode directive.");
    auto until_ns = s3::ParseIso8601(*until);
    if (!until_ns) {
      return s3err::InvalidArgument("The retain until date must be provided in ISO 8601 format");
    }
    auto now = std::chrono::system_clock::now().time_since_epoch();
    if (*until_ns <= std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()) {
      return s3err::InvalidArgument("The retain until date must be in the future!");
    }
    h.lock_mode = std::string(*mode);
    h.lock_until_ns = *until_ns;
  }
  if (auto hold = req.Header("x-amz-object-lock-legal-hold")) {
    if (*hold != "ON" && *hold != "OFF") {
      return s3err::InvalidArgument("Legal Hold must be either of 'ON' or 'OFF'");
    }
    h.legal_hold = *hold == "ON";
  }
  return Status::OK();
}

Result<ObjectHeaders> ObjectHeadersFrom(const S3Request& req) {
  ObjectHeaders h;
  h.content_type = req.HeaderOr("content-type");
  h.content_encoding = StoredContentEncoding(req.HeaderOr("content-encoding"));
  h.content_disposition = req.HeaderOr("content-disposition");
  h.content_language = req.HeaderOr("content-language");
  h.cache_control = req.HeaderOr("cache-control");
  h.expires = req.HeaderOr("expires");
  for (const auto& f : req.http->headers.fields()) {
    std::string name = http::ToLower(f.name);
    if (name.starts_with("x-amz-meta-") && name.size() > 11) {
      auto [it, inserted] = h.user_metadata.emplace(name.substr(11), f.value);
      if (!inserted) it->second += "," + f.value;  // repeated headers join, as in HTTP
    }
  }
  size_t meta_bytes = 0;
  for (const auto& [k, v] : h.user_metadata) meta_bytes += k.size() + v.size();
  if (meta_bytes > 2048) {
    return Status::InvalidArgument("Your metadata headers exceed the maximum allowed metadata size")
        .WithS3Code("MetadataTooLarge", 400);
  }
  if (auto sc = req.Header("x-amz-storage-class")) {
    bool known = false;
    for (auto name : kStorageClasses) known = known || *sc == name;
    if (!known) {
      return Status::InvalidArgument("The storage class you specified is not valid")
          .WithS3Code("InvalidStorageClass", 400);
    }
    h.storage_class = std::string(*sc);
  }
  std::optional<std::string_view> tagging = req.Header("x-amz-tagging");
  std::string tagging_param = req.Param("x-amz-tagging");  // presigned URLs carry it here
  if (!tagging && req.HasParam("x-amz-tagging")) tagging = tagging_param;
  if (tagging) {
    FERRY_ASSIGN_OR_RETURN(h.tags, s3::ParseTaggingHeader(*tagging));
    FERRY_RETURN_IF_ERROR(s3::ValidateTags(h.tags, s3::kMaxObjectTags));
  }
  FERRY_RETURN_IF_ERROR(ReadObjectLockHeaders(req, h));
  return h;
}

Result<std::optional<ObjectChecksum>> RequestedChecksum(const S3Request& req) {
  std::optional<ObjectChecksum> out;
  for (auto algorithm :
       {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
        ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256}) {
    auto value = req.Header(ChecksumHeaderName(algorithm));
    if (!value) continue;
    if (out) return s3err::InvalidRequest("Expecting a single x-amz-checksum- header");
    auto raw = Base64Decode(*value);
    size_t want = Digest(*DigestKindFor(algorithm), "").size();
    if (!raw || raw->size() != want) {
      return s3err::InvalidRequest("Value for " + ChecksumHeaderName(algorithm) +
                                   " header is invalid.");
    }
    out = ObjectChecksum{algorithm, std::string(*value)};
  }
  if (out) return out;
  for (std::string_view name : {"x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"}) {
    if (auto v = req.Header(name)) {
      auto algorithm = ParseChecksumAlgorithm(*v);
      if (!algorithm) return s3err::InvalidRequest("Invalid checksum algorithm");
      return std::optional<ObjectChecksum>(ObjectChecksum{*algorithm, ""});
    }
  }
  if (auto trailer = req.Header("x-amz-trailer")) {
    std::string name = http::ToLower(*trailer);
    if (name.starts_with("x-amz-checksum-")) {
      auto algorithm = ParseChecksumAlgorithm(name.substr(15));
      if (!algorithm) return s3err::InvalidRequest("Invalid x-amz-trailer");
      return std::optional<ObjectChecksum>(ObjectChecksum{*algorithm, ""});
    }
  }
  return std::optional<ObjectChecksum>();
}

Result<std::string> ContentMd5(const S3Request& req) {
  auto value = req.Header("content-md5");
  if (!value) return std::string();
  auto raw = Base64Decode(*value);
  if (!raw || raw->size() != 16) {
    return s3err::InvalidDigest("The Content-MD5 you specified was invalid.");
  }
  return std::string(*value);
}

s3::GetConditions GetConditionsFrom(const S3Request& req) {
  s3::GetConditions c;
  c.if_match = req.HeaderOr("if-match");
  c.if_none_match = req.HeaderOr("if-none-match");
  c.if_modified_since = req.HeaderOr("if-modified-since");
  c.if_unmodified_since = req.HeaderOr("if-unmodified-since");
  return c;
}

Result<CopySource> ParseCopySource(std::string_view header) {
  std::string_view raw = header;
  std::string version_id;
  if (auto q = raw.find('?'); q != std::string_view::npos) {
    FERRY_ASSIGN_OR_RETURN(s3::QueryParams query, s3::ParseQuery(raw.substr(q + 1)));
    raw = raw.substr(0, q);
    if (auto v = s3::FindQueryParam(query, "versionId")) {
      if (v->empty()) return s3err::InvalidVersionId("");
      version_id = std::string(*v);
    }
  }
  auto decoded = s3::UriDecode(raw);
  if (!decoded) return s3err::InvalidArgument("Invalid copy source encoding");
  std::string_view path = *decoded;
  if (path.starts_with('/')) path.remove_prefix(1);
  auto slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= path.size()) {
    return s3err::InvalidArgument(
        "Copy Source must mention the source bucket and key: "
        "sourcebucket/sourcekey");
  }
  return CopySource{std::string(path.substr(0, slash)), std::string(path.substr(slash + 1)),
                    std::move(version_id)};
}

Result<WriteConditions> WriteConditionsFrom(const S3Request& req, ErrorExtras& extras) {
  WriteConditions c;
  auto inm = req.Header("if-none-match");
  auto im = req.Header("if-match");
  auto unsupported = [&](std::string_view header, std::string_view why) {
    extras.elements.push_back({"Header", std::string(header)});
    extras.elements.push_back({"additionalMessage", std::string(why)});
    return s3err::NotImplemented(
        "A header you provided implies functionality that is not implemented");
  };
  if (inm && im) {
    return unsupported("If-Match,If-None-Match",
                       "Multiple conditional request headers present in the request");
  }
  if (inm) {
    if (*inm != "*") {
      return unsupported("If-None-Match",
                         "We don't accept the provided value of If-None-Match header for this API");
    }
    c.if_none_match_star = true;
  }
  if (im) {
    if (*im == "*") {
      return unsupported("If-Match",
                         "We don't accept the provided value of If-Match header for this API");
    }
    c.if_match_etag = std::string(s3::UnquoteEtag(*im));
  }
  return c;
}

DeleteOptions DeleteOptionsFrom(const S3Request& req) {
  DeleteOptions o;
  o.bypass_governance =
      http::EqualsIgnoreCase(req.HeaderOr("x-amz-bypass-governance-retention"), "true");
  return o;
}

Result<std::string> VersionIdParam(const S3Request& req) {
  if (!req.HasParam("versionId")) return std::string();
  std::string v = req.Param("versionId");
  if (v.empty()) return s3err::InvalidVersionId("");
  return v;
}

Result<int> PartNumberParam(const S3Request& req, ErrorExtras& extras) {
  std::string text = req.Param("partNumber");
  int v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 1 || v > 10000) {
    extras.elements.push_back({"ArgumentName", "partNumber"});
    extras.elements.push_back({"ArgumentValue", text});
    return s3err::InvalidArgument("Part number must be an integer between 1 and 10000, inclusive");
  }
  return v;
}

Result<int> IntQueryParam(const S3Request& req, std::string_view name, int fallback, int min,
                          int max) {
  if (!req.HasParam(name)) return fallback;
  std::string text = req.Param(name);
  int v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < min) {
    return s3err::InvalidArgument(std::string(name) + " must be an integer of at least " +
                                  std::to_string(min));
  }
  return std::min(v, max);
}

}  // namespace ferry::server
