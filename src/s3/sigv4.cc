#include "s3/sigv4.h"

#include <algorithm>
#include <charconv>

#include "core/checksum.h"
#include "s3/errors.h"
#include "s3/http_date.h"

namespace ferry::s3 {
namespace {

char Lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Trims and collapses inner runs of spaces and tabs into one space.
void AppendTrimAll(std::string& out, std::string_view value) {
  value = Trim(value);
  bool in_space = false;
  for (char c : value) {
    if (IsSpace(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out += ' ';
    in_space = false;
    out += c;
  }
}

std::string Join(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (true) {
    size_t pos = s.find(sep);
    out.emplace_back(s.substr(0, pos));
    if (pos == std::string_view::npos) return out;
    s.remove_prefix(pos + 1);
  }
}

Status MalformedHeader(std::string_view why) {
  return s3err::AuthorizationHeaderMalformed(
      std::string("The authorization header is malformed; ") + std::string(why));
}

Status MalformedQuery(std::string_view why) {
  return s3err::AuthorizationQueryParametersError(why);
}

std::string AuthorizationValue(std::string_view access_key, std::string_view scope,
                               const std::vector<std::string>& signed_headers,
                               std::string_view signature) {
  std::string out(kSigV4Algorithm);
  out += " Credential=";
  out += access_key;
  out += '/';
  out += scope;
  out += ", SignedHeaders=";
  out += Join(signed_headers, ';');
  out += ", Signature=";
  out += signature;
  return out;
}

}  // namespace

bool ParseCredential(std::string_view credential, ReceivedSignature* out) {
  std::vector<std::string> parts = Split(credential, '/');
  if (parts.size() < 5 || parts.back() != "aws4_request") return false;
  size_t n = parts.size();
  out->service = parts[n - 2];
  out->region = parts[n - 3];
  out->date = parts[n - 4];
  out->access_key = Join(std::vector<std::string>(parts.begin(), parts.end() - 4), '/');
  if (out->access_key.empty() || out->date.size() != 8 || out->region.empty() ||
      out->service.empty()) {
    return false;
  }
  return std::all_of(out->date.begin(), out->date.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

const std::string* FindHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (EqualsNoCase(n, name)) return &v;
  }
  return nullptr;
}

std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service) {
  std::string out(date);
  out += '/';
  out += region;
  out += '/';
  out += service;
  out += "/aws4_request";
  return out;
}

std::string CanonicalUri(std::string_view raw_path) {
  if (raw_path.empty()) return "/";
  std::string out;
  out.reserve(raw_path.size() + 8);
  while (true) {
    size_t slash = raw_path.find('/');
    std::string_view segment = raw_path.substr(0, slash);
    auto decoded = UriDecode(segment);
    out += UriEncode(decoded ? std::string_view(*decoded) : segment, /*encode_slash=*/true);
    if (slash == std::string_view::npos) break;
    out += '/';
    raw_path.remove_prefix(slash + 1);
  }
  return out;
}

std::string CanonicalQueryString(const QueryParams& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    if (name == "X-Amz-Signature") continue;
    encoded.emplace_back(UriEncode(name, true), UriEncode(value, true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string CanonicalRequest(const SignableRequest& req,
                             const std::vector<std::string>& signed_headers) {
  std::string out = req.method;
  out += '\n';
  out += CanonicalUri(req.path);
  out += '\n';
  out += CanonicalQueryString(req.query);
  out += '\n';
  for (const std::string& name : signed_headers) {
    out += name;
    out += ':';
    bool first = true;
    for (const auto& [n, v] : req.headers) {
      if (!EqualsNoCase(n, name)) continue;
      if (!first) out += ',';
      first = false;
      AppendTrimAll(out, v);
    }
    out += '\n';
  }
  out += '\n';
  out += Join(signed_headers, ';');
  out += '\n';
  out += req.payload_hash;
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kSigV4Algorithm);
  out += '\n';
  out += amz_date;
  out += '\n';
  out += scope;
  out += '\n';
  out += HexEncode(Digest(DigestKind::kSha256, canonical_request));
  return out;
}

std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string k = HmacSha256("AWS4" + std::string(secret), date);
  k = HmacSha256(k, region);
  k = HmacSha256(k, service);
  return HmacSha256(k, "aws4_request");
}

std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

std::vector<std::string> SignedHeaderNames(const HeaderList& headers) {
  std::vector<std::string> names;
  names.reserve(headers.size());
  for (const auto& [n, v] : headers) names.push_back(ToLower(n));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string Sign(const SignableRequest& req, const SigningParams& params) {
  return SignWithKey(req, params,
                     SigningKey(params.credentials.secret_access_key, params.amz_date.substr(0, 8),
                                params.region, params.service));
}

std::string SignWithKey(const SignableRequest& req, const SigningParams& params,
                        std::string_view signing_key) {
  const std::string date = params.amz_date.substr(0, 8);
  const std::string scope = CredentialScope(date, params.region, params.service);
  const std::vector<std::string> signed_headers = SignedHeaderNames(req.headers);
  const std::string sts =
      StringToSign(params.amz_date, scope, CanonicalRequest(req, signed_headers));
  return AuthorizationValue(params.credentials.access_key_id, scope, signed_headers,
                            SignatureHex(signing_key, sts));
}

std::string Presign(const SignableRequest& req, const SigningParams& params, int64_t expires_s) {
  const std::string date = params.amz_date.substr(0, 8);
  const std::string scope = CredentialScope(date, params.region, params.service);
  SignableRequest signable = req;
  if (signable.payload_hash.empty()) signable.payload_hash = std::string(kUnsignedPayload);
  const std::vector<std::string> signed_headers = SignedHeaderNames(req.headers);
  QueryParams& q = signable.query;
  q.emplace_back("X-Amz-Algorithm", std::string(kSigV4Algorithm));
  q.emplace_back("X-Amz-Credential", params.credentials.access_key_id + "/" + scope);
  q.emplace_back("X-Amz-Date", params.amz_date);
  q.emplace_back("X-Amz-Expires", std::to_string(expires_s));
  q.emplace_back("X-Amz-SignedHeaders", Join(signed_headers, ';'));
  if (!params.credentials.session_token.empty()) {
    q.emplace_back("X-Amz-Security-Token", params.credentials.session_token);
  }
  const std::string sts =
      StringToSign(params.amz_date, scope, CanonicalRequest(signable, signed_headers));
  const std::string key =
      SigningKey(params.credentials.secret_access_key, date, params.region, params.service);
  return CanonicalQueryString(q) + "&X-Amz-Signature=" + SignatureHex(key, sts);
}

Result<ReceivedSignature> ParseAuthorizationHeader(std::string_view value) {
  value = Trim(value);
  if (value.starts_with("AWS ")) {
    return s3err::InvalidRequest(
        "The authorization mechanism you have provided is not supported. Please use "
        "AWS4-HMAC-SHA256.");
  }
  if (!value.starts_with(kSigV4Algorithm) || value.size() == kSigV4Algorithm.size() ||
      !IsSpace(value[kSigV4Algorithm.size()])) {
    return s3err::InvalidArgument("Unsupported Authorization Type");
  }
  value.remove_prefix(kSigV4Algorithm.size());
  ReceivedSignature out;
  bool have_credential = false, have_signed = false, have_signature = false;
  for (const std::string& raw_part : Split(value, ',')) {
    std::string_view part = Trim(raw_part);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) return MalformedHeader("missing '=' in \"" + raw_part + "\"");
    std::string_view key = Trim(part.substr(0, eq));
    std::string_view val = Trim(part.substr(eq + 1));
    if (key == "Credential" && !have_credential) {
      if (!ParseCredential(val, &out)) {
        return MalformedHeader(
            "the Credential is mal-formed; expecting "
            "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
      }
      have_credential = true;
    } else if (key == "SignedHeaders" && !have_signed) {
      out.signed_headers = Split(val, ';');
      have_signed = true;
    } else if (key == "Signature" && !have_signature) {
      out.signature = std::string(val);
      have_signature = true;
    } else {
      return MalformedHeader("unexpected or repeated \"" + std::string(key) + "\"");
    }
  }
  if (!have_credential || !have_signed || !have_signature) {
    return MalformedHeader("it must name Credential, SignedHeaders and Signature");
  }
  return out;
}

Result<ReceivedSignature> ParsePresignedQuery(const QueryParams& query) {
  auto algorithm = FindQueryParam(query, "X-Amz-Algorithm");
  auto credential = FindQueryParam(query, "X-Amz-Credential");
  auto amz_date = FindQueryParam(query, "X-Amz-Date");
  auto expires = FindQueryParam(query, "X-Amz-Expires");
  auto signed_headers = FindQueryParam(query, "X-Amz-SignedHeaders");
  auto signature = FindQueryParam(query, "X-Amz-Signature");
  if (!algorithm || !credential || !amz_date || !expires || !signed_headers || !signature) {
    return MalformedQuery(
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
        "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
  }
  if (*algorithm != kSigV4Algorithm) {
    return MalformedQuery("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  }
  ReceivedSignature out;
  if (!ParseCredential(*credential, &out)) {
    return MalformedQuery(
        "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "
        "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  }
  if (!ParseAmzDate(*amz_date)) {
    return MalformedQuery("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  }
  int64_t seconds = -1;
  auto [ptr, ec] = std::from_chars(expires->data(), expires->data() + expires->size(), seconds);
  if (ec != std::errc() || ptr != expires->data() + expires->size()) {
    return MalformedQuery("X-Amz-Expires should be a number");
  }
  if (seconds < 0) return MalformedQuery("X-Amz-Expires must be non-negative");
  if (seconds > kMaxPresignExpiresSeconds) {
    return MalformedQuery("X-Amz-Expires must be less than a week (in seconds) that is 604800");
  }
  out.amz_date = std::string(*amz_date);
  out.expires_s = seconds;
  out.signed_headers = Split(*signed_headers, ';');
  out.signature = std::string(*signature);
  if (auto token = FindQueryParam(query, "X-Amz-Security-Token")) {
    out.security_token = std::string(*token);
  }
  return out;
}

bool SignaturesEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace ferry::s3
