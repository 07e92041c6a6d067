// Server-side SigV4 verification: decides whether a received request is signed by a known
// access key, and hands back what the body reader needs (payload mode, expected SHA-256,
// signing key and seed signature for aws-chunked bodies).
//
// Accepted: the Authorization header ("AWS4-HMAC-SHA256 ...") and presigned query strings
// (X-Amz-Algorithm=AWS4-HMAC-SHA256&...); and, unless Options::allow_sigv2 is off, SigV2
// (s3/sigv2.h): the "AWS AKID:signature" header and AWSAccessKeyId/Expires/Signature query
// strings. Refused with the errors S3 answers with:
//   SigV2 when it is not allowed                           InvalidRequest 400
//   SigV2 presigned past Expires                           AccessDenied 403
//   both header and query auth                            InvalidArgument 400
//   no authentication at all                              AccessDenied 403
//   malformed header / query                              AuthorizationHeaderMalformed /
//                                                         AuthorizationQueryParametersError 400
//   wrong service, wrong region (when one is configured)  AuthorizationHeaderMalformed 400
//   unknown access key                                    InvalidAccessKeyId 403
//   header auth without x-amz-content-sha256              InvalidRequest 400
//   header auth more than max_skew_s from now             RequestTimeTooSkewed 403
//   presigned past X-Amz-Expires / not yet valid          AccessDenied 403
//   x-amz-* header (or host) present but not signed       AccessDenied 403
//     (except x-amz-content-sha256 on presigned requests, which is ignored)
//   signature mismatch                                    SignatureDoesNotMatch 403
// The body is not read here: for PayloadMode::kSha256 the caller must hash the body and
// compare with AuthContext::payload_sha256 (XAmzContentSHA256Mismatch on mismatch); for the
// STREAMING-* modes it decodes the body with AwsChunkedDecoder.
//
// A Verifier is thread-safe; it caches signing keys per (secret, day, region, service).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "ferry/result.h"
#include "s3/sigv4.h"

namespace ferry::s3 {

enum class PayloadMode {
  kSha256,                    // x-amz-content-sha256: <hex>; verify the body's hash
  kUnsigned,                  // UNSIGNED-PAYLOAD (and every presigned request by default)
  kStreamingSigned,           // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  kStreamingSignedTrailer,    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
  kStreamingUnsignedTrailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER
};

// The mode named by an x-amz-content-sha256 value; nullopt when it is none of them.
std::optional<PayloadMode> ParsePayloadMode(std::string_view content_sha256);
// True for the three STREAMING-* modes (the body is aws-chunked).
bool IsStreaming(PayloadMode mode);

enum class AuthKind { kAnonymous, kHeader, kPresigned, kSigV2 };
// How the request claims to be authenticated (before any check).
AuthKind DetectAuthKind(const SignableRequest& req);

struct AuthContext {
  std::string access_key;
  std::string region;
  std::string service;
  std::string amz_date;        // "20130524T000000Z", as signed
  std::string scope;           // "20130524/us-east-1/s3/aws4_request"
  std::string signing_key;     // raw 32 bytes; signs aws-chunked chunks and trailers
  std::string seed_signature;  // hex signature of the request; the first chunk chains on it
  PayloadMode payload_mode = PayloadMode::kUnsigned;
  std::string payload_sha256;  // lower-case hex, set for kSha256
  bool presigned = false;
  std::string security_token;  // x-amz-security-token / X-Amz-Security-Token, if any
};

// Returns the secret access key for an access key id; a NotFound status for unknown keys.
using SecretLookup = std::function<Result<std::string>(std::string_view access_key)>;

class Verifier {
 public:
  // (Below: Verify.) A browser POST form signed with SigV4: x-amz-algorithm, x-amz-credential
  // ("AKID/DATE/REGION/s3/aws4_request"), x-amz-date and x-amz-signature, the HMAC of the
  // base64 policy as sent. The policy's own checks (expiration, conditions) are the caller's.
  struct Options {
    SecretLookup lookup;
    const Clock* clock = &SystemClock();
    // The region requests must be signed for; empty accepts any region.
    std::string region;
    // Header auth: largest accepted |now - x-amz-date|. Default: 15 minutes, as S3.
    int64_t max_skew_s = 15 * 60;
    // Refuse requests carrying x-amz-* headers that are not signed, as S3 does.
    bool require_signed_amz_headers = true;
    // Accept Signature Version 2 (`ferry serve --no-sigv2` turns it off).
    bool allow_sigv2 = true;
  };

  explicit Verifier(Options options);
  // A POST form signed with SigV2: AWSAccessKeyId, and signature, the base64 HMAC-SHA1 of
  // the base64 policy.
  Result<AuthContext> VerifyPostFormV2(std::string_view access_key, std::string_view policy,
                                       std::string_view signature) const;
  Result<AuthContext> VerifyPostForm(std::string_view algorithm, std::string_view credential,
                                     std::string_view amz_date, std::string_view policy,
                                     std::string_view signature) const;

  // req is the request as received; req.payload_hash is ignored (the hash comes from
  // x-amz-content-sha256, or X-Amz-Content-Sha256 / UNSIGNED-PAYLOAD for presigned URLs).
  // When a SigV2 signature does not match, *string_to_sign (if given) is what the server
  // signed, for the error S3 answers with.
  Result<AuthContext> Verify(const SignableRequest& req,
                             std::string* string_to_sign = nullptr) const;

 private:
  Result<AuthContext> Check(const SignableRequest& req, const ReceivedSignature& sig,
                            std::string_view amz_date, std::string_view payload_hash,
                            bool presigned) const;
  std::string CachedSigningKey(std::string_view secret, const ReceivedSignature& sig) const;

  Result<AuthContext> VerifyV2(const SignableRequest& req, std::string_view header,
                               std::string* string_to_sign) const;
  Result<std::string> SecretOf(std::string_view access_key) const;

  Options options_;
  mutable std::mutex mu_;
  mutable std::map<std::string, std::string> key_cache_;  // guarded by mu_
};

}  // namespace ferry::s3
