// AWS Signature Version 4 for S3: the canonical request, the string to sign, the signing key,
// client-side signing (Authorization header and presigned query), and parsing the signature a
// server received. Verification against a secret lives in sigv4_verifier.h.
//
// S3 flavour: the canonical URI is the raw path with each '/'-separated segment decoded and
// encoded exactly once (no double encoding, no "."/".." or "//" normalisation, since S3 keys
// may contain them). A segment with an invalid percent escape is encoded as it stands ('%'
// becomes %25), so it simply fails to match. The canonical query never includes
// X-Amz-Signature. Header values are trimmed and inner runs of spaces and tabs collapsed to
// one space; repeated headers are joined with ','.
//
// Everything here is a pure function of its arguments and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/result.h"
#include "s3/uri.h"

namespace ferry::s3 {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kStreamingSignedPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
inline constexpr std::string_view kStreamingSignedPayloadTrailer =
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
inline constexpr std::string_view kStreamingUnsignedPayloadTrailer =
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
// Hex SHA-256 of the empty string.
inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// Presigned URLs may live at most a week.
inline constexpr int64_t kMaxPresignExpiresSeconds = 7 * 24 * 3600;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none
};

// Header name/value pairs as received or to be sent; names in any case, repeats allowed.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The parts of an HTTP request that SigV4 covers.
struct SignableRequest {
  std::string method;  // "GET", "PUT", ...
  std::string path;    // raw, as on the wire (still percent-encoded), without the query
  QueryParams query;   // decoded
  HeaderList headers;
  // Hex SHA-256 of the body, or kUnsignedPayload, or one of the STREAMING-* values.
  std::string payload_hash;
  // For SigV2, which signs them as sent: the raw query, and the bucket a virtual-hosted
  // request named in its Host header (empty for path-style requests).
  std::string raw_query;
  std::string virtual_host_bucket;
};

// The value of the first header named `name` (case-insensitive), or nullptr.
const std::string* FindHeader(const HeaderList& headers, std::string_view name);

// "20130524/us-east-1/s3/aws4_request".
std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service);

std::string CanonicalUri(std::string_view raw_path);
std::string CanonicalQueryString(const QueryParams& query);
// signed_headers: lower-case names, sorted (as they appear in SignedHeaders=).
std::string CanonicalRequest(const SignableRequest& req,
                             const std::vector<std::string>& signed_headers);
// "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + hex(sha256(canonical_request)).
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// The raw 32-byte key; depends only on its arguments, so callers may cache it per day.
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);
// hex(HMAC-SHA256(signing_key, string_to_sign)).
std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign);

// Sorted, de-duplicated, lower-cased names of the headers.
std::vector<std::string> SignedHeaderNames(const HeaderList& headers);

struct SigningParams {
  Credentials credentials;
  std::string region = "us-east-1";
  std::string service = "s3";
  std::string amz_date;  // "20130524T000000Z"; FormatAmzDate(now)
};

// The Authorization header value for req, signing every header in req.headers.
// REQUIRES: req.headers holds host, x-amz-date (equal to params.amz_date) and
// x-amz-content-sha256 (equal to req.payload_hash), plus x-amz-security-token when the
// credentials carry a session token.
std::string Sign(const SignableRequest& req, const SigningParams& params);
// Sign with the signing key of params' day already derived (SigningKey), as a client signing
// many requests keeps it.
std::string SignWithKey(const SignableRequest& req, const SigningParams& params,
                        std::string_view signing_key);

// The query string (without '?') of a presigned URL for req: req.query plus X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and, with a session
// token, X-Amz-Security-Token, in canonical order, then X-Amz-Signature. Signs the headers in
// req.headers (at least host). An empty req.payload_hash means UNSIGNED-PAYLOAD.
std::string Presign(const SignableRequest& req, const SigningParams& params, int64_t expires_s);

// A SigV4 signature as received, from either the Authorization header or the query.
struct ReceivedSignature {
  std::string access_key;
  std::string date;  // yyyymmdd, from the credential scope
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;  // as listed
  std::string signature;                    // hex
  // Presigned requests only:
  std::string amz_date;   // X-Amz-Date
  int64_t expires_s = 0;  // X-Amz-Expires
  std::string security_token;
};

// Splits "AKID/20130524/us-east-1/s3/aws4_request" into out's access key, date, region and
// service (the key may contain '/'); false when it is not of that form.
bool ParseCredential(std::string_view credential, ReceivedSignature* out);

// "AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=hex". InvalidRequest for a SigV2 ("AWS ") header,
// AuthorizationHeaderMalformed when parts are missing or malformed.
Result<ReceivedSignature> ParseAuthorizationHeader(std::string_view value);

// From X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
// X-Amz-Signature (and X-Amz-Security-Token). AuthorizationQueryParametersError when one is
// missing or malformed, or X-Amz-Expires is not within 0..604800.
Result<ReceivedSignature> ParsePresignedQuery(const QueryParams& query);

// Constant-time comparison of two signatures.
bool SignaturesEqual(std::string_view a, std::string_view b);

}  // namespace ferry::s3
