#include "s3/sigv4_verifier.h"

#include <charconv>
#include <cstdlib>

#include "core/ascii.h"
#include "s3/errors.h"
#include "s3/http_date.h"
#include "s3/sigv2.h"

namespace ferry::s3 {
namespace {

constexpr size_t kMaxCachedKeys = 1024;

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool HasV4Query(const QueryParams& q) {
  return FindQueryParam(q, "X-Amz-Algorithm") || FindQueryParam(q, "X-Amz-Credential") ||
         FindQueryParam(q, "X-Amz-Signature");
}

bool HasV2Query(const QueryParams& q) {
  return FindQueryParam(q, "AWSAccessKeyId") && FindQueryParam(q, "Signature");
}

Status SignatureMismatch() {
  return s3err::SignatureDoesNotMatch(
      "The request signature we calculated does not match the signature you provided. Check "
      "your key and signing method.");
}

Status UseSigV4() {
  return s3err::InvalidRequest(
      "The authorization mechanism you have provided is not supported. Please use "
      "AWS4-HMAC-SHA256.");
}

Status Malformed(bool presigned, const std::string& why) {
  if (presigned) return s3err::AuthorizationQueryParametersError(why);
  return s3err::AuthorizationHeaderMalformed("The authorization header is malformed; " + why);
}

// The first present header that must be signed but is not, or empty. A presigned request's
// payload hash comes from the query, so its x-amz-content-sha256 header, which some clients
// add anyway, carries no meaning and need not be signed.
std::string UnsignedHeader(const SignableRequest& req,
                           const std::vector<std::string>& signed_headers, bool presigned) {
  for (const auto& [name, value] : req.headers) {
    std::string lower = AsciiLower(name);
    if (lower != "host" && !lower.starts_with("x-amz-")) continue;
    if (presigned && lower == "x-amz-content-sha256") continue;
    bool found = false;
    for (const std::string& s : signed_headers) found = found || s == lower;
    if (!found) return lower;
  }
  return {};
}

}  // namespace

std::optional<PayloadMode> ParsePayloadMode(std::string_view v) {
  if (v == kUnsignedPayload) return PayloadMode::kUnsigned;
  if (v == kStreamingSignedPayload) return PayloadMode::kStreamingSigned;
  if (v == kStreamingSignedPayloadTrailer) return PayloadMode::kStreamingSignedTrailer;
  if (v == kStreamingUnsignedPayloadTrailer) return PayloadMode::kStreamingUnsignedTrailer;
  if (IsLowerHex64(AsciiLower(v))) return PayloadMode::kSha256;
  return std::nullopt;
}

bool IsStreaming(PayloadMode mode) {
  return mode == PayloadMode::kStreamingSigned || mode == PayloadMode::kStreamingSignedTrailer ||
         mode == PayloadMode::kStreamingUnsignedTrailer;
}

AuthKind DetectAuthKind(const SignableRequest& req) {
  if (const std::string* auth = FindHeader(req.headers, "authorization")) {
    return TrimSpaceTab(*auth).starts_with("AWS ") ? AuthKind::kSigV2 : AuthKind::kHeader;
  }
  if (HasV4Query(req.query)) return AuthKind::kPresigned;
  if (HasV2Query(req.query)) return AuthKind::kSigV2;
  return AuthKind::kAnonymous;
}

Verifier::Verifier(Options options) : options_(std::move(options)) {}

Result<std::string> Verifier::SecretOf(std::string_view access_key) const {
  Result<std::string> secret = options_.lookup(access_key);
  if (!secret.ok()) {
    if (secret.status().IsNotFound()) return s3err::InvalidAccessKeyId(std::string(access_key));
    return s3err::ToS3(secret.status());
  }
  return secret;
}

Result<AuthContext> Verifier::VerifyV2(const SignableRequest& req, std::string_view header,
                                       std::string* string_to_sign) const {
  if (!options_.allow_sigv2) return UseSigV4();
  const int64_t now_s = NanosToSeconds(options_.clock->NowNanos());
  std::string access_key, signature;
  // The date lines to sign with: a header signature has one, or two when a client sent both
  // x-amz-date (which empties the line, as AWS says) and Date (which some clients sign). Each
  // variant is a full HMAC compared in constant time; none is skipped on a mismatch.
  std::vector<std::string> date_lines;
  AuthContext ctx;
  if (!header.empty()) {
    std::string_view rest = TrimSpaceTab(header.substr(4));
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
      return s3err::AuthorizationHeaderMalformed(
          "The authorization header is malformed; expecting \"AWS AccessKeyId:Signature\"");
    }
    access_key = std::string(rest.substr(0, colon));
    signature = std::string(rest.substr(colon + 1));
    const std::string* amz_date = FindHeader(req.headers, "x-amz-date");
    const std::string* date = FindHeader(req.headers, "date");
    std::optional<int64_t> t;
    // An RFC 1123 date; clients of SigV2 (s3cmd, AWS's own examples) write "+0000" for GMT.
    auto parse = [](std::string_view text) {
      text = TrimSpaceTab(text);
      std::string gmt(text);
      if (text.ends_with(" +0000")) gmt = std::string(text.substr(0, text.size() - 5)) + "GMT";
      auto t = ParseHttpDate(gmt);
      return t ? t : ParseAmzDate(text);
    };
    if (amz_date) {
      t = parse(*amz_date);
      date_lines.push_back("");
      if (date) date_lines.push_back(std::string(TrimSpaceTab(*date)));
    } else if (date) {
      t = parse(*date);
      date_lines.push_back(std::string(TrimSpaceTab(*date)));
    }
    if (!t) {
      return s3err::AccessDenied("AWS authentication requires a valid Date or x-amz-date header");
    }
    if (std::llabs(now_s - *t) > options_.max_skew_s) {
      return s3err::RequestTimeTooSkewed(
          "The difference between the request time and the current time is too large.");
    }
  } else {
    access_key = std::string(*FindQueryParam(req.query, "AWSAccessKeyId"));
    signature = std::string(*FindQueryParam(req.query, "Signature"));
    auto expires = FindQueryParam(req.query, "Expires");
    int64_t at = 0;
    if (!expires ||
        std::from_chars(expires->data(), expires->data() + expires->size(), at).ec != std::errc()) {
      return s3err::AccessDenied(
          "Query-string authentication requires the Signature, Expires and AWSAccessKeyId "
          "parameters");
    }
    if (now_s > at) return s3err::AccessDenied("Request has expired");
    date_lines.push_back(std::string(*expires));
    ctx.presigned = true;
  }
  FERRY_ASSIGN_OR_RETURN(std::string secret, SecretOf(access_key));
  const std::vector<std::string> resources =
      V2SignedResources(req.virtual_host_bucket, req.path, req.raw_query);
  bool matched = false;
  for (const std::string& resource : resources) {
    for (const std::string& line : date_lines) {
      const std::string text = V2StringToSign(req.method, req.headers, line, resource);
      if (SignaturesEqual(V2Signature(secret, text), signature)) matched = true;
      if (string_to_sign && string_to_sign->empty()) *string_to_sign = text;
    }
  }
  if (!matched) {
    return SignatureMismatch();
  }
  if (string_to_sign) string_to_sign->clear();
  ctx.access_key = access_key;
  ctx.payload_mode = PayloadMode::kUnsigned;
  return ctx;
}

Result<AuthContext> Verifier::VerifyPostFormV2(std::string_view access_key, std::string_view policy,
                                               std::string_view signature) const {
  if (!options_.allow_sigv2) return UseSigV4();
  FERRY_ASSIGN_OR_RETURN(std::string secret, SecretOf(access_key));
  if (!SignaturesEqual(V2Signature(secret, policy), signature)) {
    return SignatureMismatch();
  }
  AuthContext ctx;
  ctx.access_key = std::string(access_key);
  return ctx;
}

Result<AuthContext> Verifier::Verify(const SignableRequest& req,
                                     std::string* string_to_sign) const {
  const std::string* auth = FindHeader(req.headers, "authorization");
  const bool v4_query = HasV4Query(req.query);
  const bool v2_query = HasV2Query(req.query);
  if (auth && (v4_query || v2_query)) {
    return s3err::InvalidArgument(
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature "
        "query string parameter or the Authorization header should be specified");
  }
  const int64_t now_s = NanosToSeconds(options_.clock->NowNanos());

  if (auth && TrimSpaceTab(*auth).starts_with("AWS "))
    return VerifyV2(req, TrimSpaceTab(*auth), string_to_sign);
  if (auth) {
    FERRY_ASSIGN_OR_RETURN(ReceivedSignature sig, ParseAuthorizationHeader(*auth));
    std::string amz_date;
    std::optional<int64_t> t;
    if (const std::string* h = FindHeader(req.headers, "x-amz-date")) {
      amz_date = std::string(TrimSpaceTab(*h));
      t = ParseAmzDate(amz_date);
    } else if (const std::string* d = FindHeader(req.headers, "date")) {
      t = ParseHttpDate(*d);
      if (t) amz_date = FormatAmzDate(*t);
    }
    if (!t) {
      return s3err::AccessDenied("AWS authentication requires a valid Date or x-amz-date header");
    }
    if (std::llabs(now_s - *t) > options_.max_skew_s) {
      return s3err::RequestTimeTooSkewed(
          "The difference between the request time and the current time is too large.");
    }
    const std::string* content_sha = FindHeader(req.headers, "x-amz-content-sha256");
    if (!content_sha) {
      return s3err::InvalidRequest(
          "Missing required header for this request: x-amz-content-sha256");
    }
    return Check(req, sig, amz_date, TrimSpaceTab(*content_sha), /*presigned=*/false);
  }

  if (v4_query) {
    FERRY_ASSIGN_OR_RETURN(ReceivedSignature sig, ParsePresignedQuery(req.query));
    const int64_t t = *ParseAmzDate(sig.amz_date);  // validated by ParsePresignedQuery
    if (now_s < t - options_.max_skew_s) return s3err::AccessDenied("Request is not valid yet");
    if (now_s > t + sig.expires_s) return s3err::AccessDenied("Request has expired");
    auto content_sha = FindQueryParam(req.query, "X-Amz-Content-Sha256");
    return Check(req, sig, sig.amz_date, content_sha ? *content_sha : kUnsignedPayload,
                 /*presigned=*/true);
  }
  if (v2_query) return VerifyV2(req, "", string_to_sign);
  return s3err::AccessDenied("Access Denied");
}

Result<AuthContext> Verifier::VerifyPostForm(std::string_view algorithm,
                                             std::string_view credential, std::string_view amz_date,
                                             std::string_view policy,
                                             std::string_view signature) const {
  auto invalid = [](const std::string& why) {
    return Status::InvalidArgument(why).WithS3Code("InvalidArgument", 400);
  };
  if (algorithm != kSigV4Algorithm) {
    return invalid("x-amz-algorithm only supports \"AWS4-HMAC-SHA256\"");
  }
  ReceivedSignature sig;
  if (!ParseCredential(credential, &sig)) {
    return invalid(
        "the x-amz-credential field is mal-formed; expecting "
        "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  }
  if (!ParseAmzDate(amz_date) || sig.date != amz_date.substr(0, 8)) {
    return invalid("x-amz-date must be in the ISO8601 Long Format and on the credential's day");
  }
  if (sig.service != "s3" || (!options_.region.empty() && sig.region != options_.region)) {
    return invalid("the credential's scope must be this server's region and s3");
  }
  FERRY_ASSIGN_OR_RETURN(std::string secret, SecretOf(sig.access_key));
  AuthContext ctx;
  ctx.signing_key = CachedSigningKey(secret, sig);
  if (!SignaturesEqual(SignatureHex(ctx.signing_key, policy), AsciiLower(signature))) {
    return SignatureMismatch();
  }
  ctx.access_key = sig.access_key;
  ctx.region = sig.region;
  ctx.service = sig.service;
  ctx.amz_date = std::string(amz_date);
  ctx.scope = CredentialScope(sig.date, sig.region, sig.service);
  return ctx;
}

Result<AuthContext> Verifier::Check(const SignableRequest& req, const ReceivedSignature& sig,
                                    std::string_view amz_date, std::string_view payload_hash,
                                    bool presigned) const {
  if (sig.date != amz_date.substr(0, 8)) {
    return Malformed(presigned, "Invalid credential date. Date is not the same as X-Amz-Date.");
  }
  if (sig.service != "s3") {
    return Malformed(presigned,
                     "incorrect service \"" + sig.service + "\". This endpoint belongs to \"s3\".");
  }
  if (!options_.region.empty() && sig.region != options_.region) {
    return Malformed(
        presigned, "the region '" + sig.region + "' is wrong; expecting '" + options_.region + "'");
  }
  for (const std::string& name : sig.signed_headers) {
    if (name.empty() || name != AsciiLower(name)) {
      return Malformed(presigned, "SignedHeaders must be lower-case names separated by ';'");
    }
  }
  // Clients list each signed header once, in order; anything else only costs us work (a
  // request repeating names made the canonical request quadratic in its size).
  for (size_t i = 1; i < sig.signed_headers.size(); ++i) {
    if (sig.signed_headers[i - 1] >= sig.signed_headers[i]) {
      return Malformed(presigned, "SignedHeaders must be sorted and name each header once");
    }
  }
  if (sig.signed_headers.size() > req.headers.size()) {
    return Malformed(presigned, "SignedHeaders names headers the request does not have");
  }
  auto mode = ParsePayloadMode(payload_hash);
  if (!mode) {
    if (payload_hash.starts_with("STREAMING-AWS4-ECDSA")) {
      return s3err::NotImplemented("SigV4a (AWS4-ECDSA-P256-SHA256) is not supported");
    }
    return s3err::InvalidArgument(
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a "
        "valid sha256 value.");
  }
  if (options_.require_signed_amz_headers) {
    std::string missing = UnsignedHeader(req, sig.signed_headers, presigned);
    if (!missing.empty()) {
      return s3err::AccessDenied(
          "There were headers present in the request which were not signed: " + missing);
    }
  }

  FERRY_ASSIGN_OR_RETURN(std::string secret, SecretOf(sig.access_key));
  AuthContext ctx;
  ctx.signing_key = CachedSigningKey(secret, sig);
  ctx.scope = CredentialScope(sig.date, sig.region, sig.service);

  SignableRequest signable = req;
  signable.payload_hash = std::string(payload_hash);
  const std::string expected = SignatureHex(
      ctx.signing_key,
      StringToSign(amz_date, ctx.scope, CanonicalRequest(signable, sig.signed_headers)));
  if (!SignaturesEqual(expected, AsciiLower(sig.signature))) {
    return SignatureMismatch();
  }

  ctx.access_key = sig.access_key;
  ctx.region = sig.region;
  ctx.service = sig.service;
  ctx.amz_date = std::string(amz_date);
  ctx.seed_signature = expected;
  ctx.payload_mode = *mode;
  if (*mode == PayloadMode::kSha256) ctx.payload_sha256 = AsciiLower(payload_hash);
  ctx.presigned = presigned;
  if (presigned) {
    ctx.security_token = sig.security_token;
  } else if (const std::string* token = FindHeader(req.headers, "x-amz-security-token")) {
    ctx.security_token = *token;
  }
  return ctx;
}

std::string Verifier::CachedSigningKey(std::string_view secret,
                                       const ReceivedSignature& sig) const {
  std::string cache_key =
      std::string(secret) + '\n' + sig.date + '\n' + sig.region + '\n' + sig.service;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = key_cache_.find(cache_key);
    if (it != key_cache_.end()) return it->second;
  }
  std::string key = SigningKey(secret, sig.date, sig.region, sig.service);
  std::lock_guard<std::mutex> lock(mu_);
  if (key_cache_.size() >= kMaxCachedKeys) key_cache_.clear();
  key_cache_.emplace(std::move(cache_key), key);
  return key;
}

}  // namespace ferry::s3
