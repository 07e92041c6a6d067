// S3RequestBuilder: turns an S3 operation (method, bucket, key, query, headers, payload hash)
// into the URL and signed headers an HTTP client sends. Pure: the time is an argument.
//
// Addressing: path style (http://host/bucket/key) or virtual-hosted (http://bucket.host/key),
// see AddressingStyle. Keys are percent-encoded per '/'-separated segment with the SigV4
// unreserved set (space → %20, '+' → %2B, '%' → %25, UTF-8 bytes → %XX), so any key travels
// unchanged; a segment that is exactly "." or ".." is sent as %2E / %2E%2E so that no HTTP
// library or proxy normalises it away ("a/../b" stays three segments, "a//b" keeps its empty
// segment, a trailing '/' is kept). Query names and values are encoded the same way ('/' too).
//
// Signing: SigV4 over every header sent (host, x-amz-date, x-amz-content-sha256,
// x-amz-security-token with session credentials, and the caller's headers); no Authorization
// for anonymous credentials. Thread-safe (immutable after Create).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "ferry/result.h"
#include "http/headers.h"
#include "s3/sigv4.h"
#include "s3/uri.h"
#include "s3client/s3_store_options.h"

namespace ferry {

struct S3RequestSpec {
  std::string method = "GET";
  std::string bucket;  // empty: the service (ListBuckets)
  std::string key;     // empty: the bucket
  s3::QueryParams query;
  s3::HeaderList headers;  // sent and signed
  // Hex SHA-256 of the body or UNSIGNED-PAYLOAD. Default: the hash of an empty body.
  std::string payload_hash = std::string(s3::kEmptySha256);
};

struct BuiltRequest {
  std::string url;
  http::Headers headers;
};

class S3RequestBuilder {
 public:
  // InvalidArgument for an endpoint that is not http(s)://host[:port][/path].
  static Result<S3RequestBuilder> Create(const S3StoreOptions& options);

  BuiltRequest Build(const S3RequestSpec& spec, int64_t unix_seconds) const;

  // The percent-encoded path of an object or bucket as sent on the wire (without the host).
  std::string Path(std::string_view bucket, std::string_view key) const;
  // True when requests for this bucket go virtual-hosted.
  bool UsesVirtualHost(std::string_view bucket) const;
  // "https://s3.us-east-1.amazonaws.com" or the configured endpoint without a trailing '/'.
  const std::string& endpoint() const { return endpoint_; }

 private:
  S3RequestBuilder() = default;

  std::string endpoint_;   // normalised
  std::string scheme_;     // "http" or "https"
  std::string authority_;  // "host" or "host:port"
  std::string base_path_;  // "" or "/base" (no trailing '/')
  bool virtual_hosted_ = false;
  std::string region_;
  // The signing key depends only on the day: derived once a day, not per request (copies
  // of the builder share it).
  struct SigningKeyCache {
    std::mutex mu;
    std::string date;  // guarded by mu
    std::string key;   // guarded by mu
  };
  std::shared_ptr<SigningKeyCache> signing_key_ = std::make_shared<SigningKeyCache>();
  s3::Credentials credentials_;
};

// The key encoded for a URL path as described above ("a b/../c" → "a%20b/%2E%2E/c").
std::string EncodeKeyPath(std::string_view key);
// "a=1&b&c=x%2Fy": names and values encoded, a parameter with an empty value without '='.
std::string EncodeQuery(const s3::QueryParams& query);
// Whether a bucket name can be a DNS label of a virtual host (lower case, digits, '-', and
// dots only when allow_dots).
bool IsDnsCompatibleBucket(std::string_view bucket, bool allow_dots);

}  // namespace ferry
