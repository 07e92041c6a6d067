// S3 bucket CORS: the <CORSConfiguration> document with S3's validation, which rule allows a
// cross-origin request (a browser's preflight OPTIONS, or the request itself), and the
// Access-Control-* headers that answer it. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/result.h"

namespace ferry::s3 {

inline constexpr size_t kMaxCorsRules = 100;

struct CorsRule {
  std::string id;
  std::vector<std::string> allowed_origins;  // each with at most one '*'
  std::vector<std::string> allowed_methods;  // GET, PUT, HEAD, POST, DELETE
  std::vector<std::string> allowed_headers;  // each with at most one '*', matched ignoring case
  std::vector<std::string> expose_headers;
  std::optional<int> max_age_seconds;
};

struct CorsConfiguration {
  std::vector<CorsRule> rules;
};

// MalformedXML for a document that breaks the schema (no rule, a rule without an origin or a
// method, a non-number), InvalidRequest for what S3 refuses by name (an unsupported method, two
// wildcards in an origin or a header, more than 100 rules), InvalidArgument for an ID over 255
// characters.
Result<CorsConfiguration> ParseCorsConfiguration(std::string_view body);
std::string CorsConfigurationXml(const CorsConfiguration& config);

// "a, B ,c" as ["a", "b", "c"]: Access-Control-Request-Headers, lower-cased.
std::vector<std::string> SplitHeaderList(std::string_view list);

// The first rule allowing a request from origin with method; for a preflight, also allowing
// every header in request_headers (lower-case). Null when none does.
const CorsRule* MatchCorsRule(const CorsConfiguration& config, std::string_view origin,
                              std::string_view method,
                              const std::vector<std::string>* request_headers = nullptr);

// The Access-Control-* headers (and Vary) that answer a request from origin that rule allows;
// a preflight also names the request_headers it may send.
std::vector<std::pair<std::string, std::string>> CorsResponseHeaders(
    const CorsRule& rule, std::string_view origin,
    const std::vector<std::string>* request_headers = nullptr);

}  // namespace ferry::s3
