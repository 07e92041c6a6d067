#include "s3client/s3_request_builder.h"

#include <curl/curl.h>

#include <cctype>

#include "s3/http_date.h"

namespace ferry {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string HostOnly(std::string_view authority) {
  if (authority.starts_with('[')) return std::string(authority);
  auto colon = authority.rfind(':');
  return std::string(colon == std::string_view::npos ? authority : authority.substr(0, colon));
}

}  // namespace

std::string EncodeKeyPath(std::string_view key) {
  std::string out;
  out.reserve(key.size() + key.size() / 4);
  while (true) {
    size_t slash = key.find('/');
    std::string_view segment = key.substr(0, slash);
    if (segment == ".") {
      out += "%2E";
    } else if (segment == "..") {
      out += "%2E%2E";
    } else {
      out += s3::UriEncode(segment, /*encode_slash=*/true);
    }
    if (slash == std::string_view::npos) break;
    out += '/';
    key.remove_prefix(slash + 1);
  }
  return out;
}

std::string EncodeQuery(const s3::QueryParams& query) {
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out += '&';
    out += s3::UriEncode(name, true);
    if (!value.empty()) {
      out += '=';
      out += s3::UriEncode(value, true);
    }
  }
  return out;
}

bool IsDnsCompatibleBucket(std::string_view bucket, bool allow_dots) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (allow_dots && c == '.');
    if (!ok) return false;
  }
  return bucket.front() != '-' && bucket.back() != '-' && bucket.front() != '.' &&
         bucket.back() != '.' && bucket.find("..") == std::string_view::npos;
}

Result<S3RequestBuilder> S3RequestBuilder::Create(const S3StoreOptions& options) {
  S3RequestBuilder b;
  b.region_ = options.region.empty() ? "us-east-1" : options.region;
  b.credentials_ = options.credentials;
  std::string endpoint = options.endpoint;
  if (endpoint.empty()) endpoint = "https://s3." + b.region_ + ".amazonaws.com";
  auto scheme_end = endpoint.find("://");
  if (scheme_end == std::string::npos) {
    return Status::InvalidArgument("endpoint " + endpoint + ": expected http(s)://host[:port]");
  }
  b.scheme_ = endpoint.substr(0, scheme_end);
  for (char& c : b.scheme_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (b.scheme_ != "http" && b.scheme_ != "https") {
    return Status::InvalidArgument("endpoint " + endpoint + ": scheme must be http or https");
  }
  std::string rest = endpoint.substr(scheme_end + 3);
  auto slash = rest.find('/');
  b.authority_ = rest.substr(0, slash);
  if (slash != std::string::npos) b.base_path_ = rest.substr(slash);
  while (!b.base_path_.empty() && b.base_path_.back() == '/') b.base_path_.pop_back();
  if (b.authority_.empty() || b.authority_.find_first_of("?#@ ") != std::string::npos) {
    return Status::InvalidArgument("endpoint " + endpoint + ": bad host");
  }
  // curl parses it as it will be used: a bad port or bracket is an error now, not after
  // eight retries of every request.
  CURLU* url = curl_url();
  const CURLUcode parsed = curl_url_set(url, CURLUPART_URL, endpoint.c_str(), 0);
  curl_url_cleanup(url);
  if (parsed != CURLUE_OK) {
    return Status::InvalidArgument("endpoint " + endpoint + ": " + curl_url_strerror(parsed));
  }
  b.endpoint_ = b.scheme_ + "://" + b.authority_ + b.base_path_;
  bool aws = EndsWith(HostOnly(b.authority_), ".amazonaws.com");
  switch (options.addressing) {
    case AddressingStyle::kAuto:
      b.virtual_hosted_ = aws;
      break;
    case AddressingStyle::kPath:
      b.virtual_hosted_ = false;
      break;
    case AddressingStyle::kVirtualHosted:
      b.virtual_hosted_ = true;
      break;
  }
  return b;
}

bool S3RequestBuilder::UsesVirtualHost(std::string_view bucket) const {
  return virtual_hosted_ && !bucket.empty() &&
         IsDnsCompatibleBucket(bucket, /*allow_dots=*/scheme_ == "http");
}

std::string S3RequestBuilder::Path(std::string_view bucket, std::string_view key) const {
  std::string path = base_path_;
  if (bucket.empty()) return path + "/";
  if (!UsesVirtualHost(bucket)) {
    path += '/';
    path += s3::UriEncode(bucket, true);
    if (key.empty()) return path;
  }
  path += '/';
  path += EncodeKeyPath(key);
  return path;
}

BuiltRequest S3RequestBuilder::Build(const S3RequestSpec& spec, int64_t unix_seconds) const {
  std::string host = UsesVirtualHost(spec.bucket) ? spec.bucket + "." + authority_ : authority_;
  std::string path = Path(spec.bucket, spec.key);
  BuiltRequest out;
  out.url = scheme_ + "://" + host + path;
  std::string query = EncodeQuery(spec.query);
  if (!query.empty()) out.url += "?" + query;

  s3::SignableRequest signable;
  signable.method = spec.method;
  signable.path = path;
  signable.query = spec.query;
  signable.payload_hash = spec.payload_hash;
  std::string amz_date = s3::FormatAmzDate(unix_seconds);
  signable.headers.emplace_back("host", host);
  signable.headers.emplace_back("x-amz-date", amz_date);
  signable.headers.emplace_back("x-amz-content-sha256", spec.payload_hash);
  if (!credentials_.session_token.empty()) {
    signable.headers.emplace_back("x-amz-security-token", credentials_.session_token);
  }
  for (const auto& h : spec.headers) signable.headers.push_back(h);
  for (const auto& [name, value] : signable.headers) out.headers.Add(name, value);
  if (!credentials_.access_key_id.empty()) {
    s3::SigningParams params;
    params.credentials = credentials_;
    params.region = region_;
    params.amz_date = amz_date;
    std::string key;
    {
      SigningKeyCache& cache = *signing_key_;
      std::lock_guard lock(cache.mu);
      if (cache.date != amz_date.substr(0, 8)) {
        cache.date = amz_date.substr(0, 8);
        cache.key = s3::SigningKey(credentials_.secret_access_key, cache.date, region_, "s3");
      }
      key = cache.key;
    }
    out.headers.Add("Authorization", s3::SignWithKey(signable, params, key));
  }
  return out;
}

}  // namespace ferry
