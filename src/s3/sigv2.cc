#include "s3/sigv2.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "core/ascii.h"
#include "core/checksum.h"
#include "s3/uri.h"

namespace ferry::s3 {
namespace {

// The sub-resources clients sign (botocore's HmacV1Auth.QSAOfInterest, which holds AWS's
// list and more).
const std::set<std::string, std::less<>> kSubresources = {"accelerate",
                                                          "acl",
                                                          "analytics",
                                                          "cors",
                                                          "defaultObjectAcl",
                                                          "delete",
                                                          "inventory",
                                                          "lifecycle",
                                                          "location",
                                                          "logging",
                                                          "metrics",
                                                          "notification",
                                                          "object-lock",
                                                          "partNumber",
                                                          "policy",
                                                          "replication",
                                                          "requestPayment",
                                                          "response-cache-control",
                                                          "response-content-disposition",
                                                          "response-content-encoding",
                                                          "response-content-language",
                                                          "response-content-type",
                                                          "response-expires",
                                                          "restore",
                                                          "select",
                                                          "select-type",
                                                          "storageClass",
                                                          "tagging",
                                                          "torrent",
                                                          "uploadId",
                                                          "uploads",
                                                          "versionId",
                                                          "versioning",
                                                          "versions",
                                                          "website"};

std::string HeaderValue(const HeaderList& headers, std::string_view name) {
  const std::string* v = FindHeader(headers, name);
  return v ? std::string(TrimSpaceTab(*v)) : std::string();
}

}  // namespace

std::string V2CanonicalResource(std::string_view virtual_host_bucket, std::string_view raw_path,
                                std::string_view raw_query) {
  std::string out;
  if (!virtual_host_bucket.empty()) out = "/" + std::string(virtual_host_bucket);
  out += raw_path.empty() ? std::string_view("/") : raw_path;
  // (name, "=value" or nothing): as sent, so "?uploads" and "?uploads=" sign differently.
  std::vector<std::pair<std::string, std::string>> signed_params;
  while (!raw_query.empty()) {
    const size_t amp = raw_query.find('&');
    const std::string_view item = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    const size_t eq = item.find('=');
    const std::string name = UriDecode(item.substr(0, eq)).value_or(std::string(item));
    if (!kSubresources.contains(name)) continue;
    std::string value;
    if (eq != std::string_view::npos) {
      const std::string_view raw = item.substr(eq + 1);
      value = "=" + UriDecode(raw).value_or(std::string(raw));
    }
    signed_params.emplace_back(name, std::move(value));
  }
  std::stable_sort(signed_params.begin(), signed_params.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < signed_params.size(); ++i) {
    out += i == 0 ? "?" : "&";
    out += signed_params[i].first + signed_params[i].second;
  }
  return out;
}

std::vector<std::string> V2SignedResources(std::string_view virtual_host_bucket,
                                           std::string_view raw_path, std::string_view raw_query) {
  std::vector<std::string> out = {V2CanonicalResource(virtual_host_bucket, raw_path, raw_query)};
  if (!virtual_host_bucket.empty()) return out;
  const bool bucket_only = raw_path.size() > 1 && raw_path.find('/', 1) == std::string_view::npos;
  if (bucket_only && raw_query.empty()) {
    out.push_back(std::string(raw_path) + "/");
  }
  if (!raw_query.empty()) {
    const std::string_view first = raw_query.substr(0, raw_query.find('&'));
    const std::string standard = V2CanonicalResource("", "", raw_query);  // "/" + "?..." or "/"
    std::string literal = std::string(raw_path) + "?" + std::string(first);
    if (standard.size() > 1) literal += standard.substr(1);
    out.push_back(std::move(literal));
  }
  return out;
}

std::string V2CanonicalAmzHeaders(const HeaderList& headers) {
  std::map<std::string, std::string> amz;
  for (const auto& [name, value] : headers) {
    std::string lower = AsciiLower(name);
    if (!lower.starts_with("x-amz-")) continue;
    auto [it, inserted] = amz.emplace(std::move(lower), std::string(TrimSpaceTab(value)));
    if (!inserted) it->second += "," + std::string(TrimSpaceTab(value));
  }
  std::string out;
  for (const auto& [name, value] : amz) out += name + ":" + value + "\n";
  return out;
}

std::string V2StringToSign(std::string_view method, const HeaderList& headers,
                           std::string_view date_line, std::string_view canonical_resource) {
  return std::string(method) + "\n" + HeaderValue(headers, "content-md5") + "\n" +
         HeaderValue(headers, "content-type") + "\n" + std::string(date_line) + "\n" +
         V2CanonicalAmzHeaders(headers) + std::string(canonical_resource);
}

std::string V2Signature(std::string_view secret, std::string_view text) {
  return Base64Encode(HmacSha1(secret, text));
}

}  // namespace ferry::s3
