// Percent-encoding as S3 and AWS Signature Version 4 use it, and query-string parsing.
//
// UriEncode follows the SigV4 rules: the unreserved characters A-Z a-z 0-9 - _ . ~ are kept,
// every other byte becomes %XX with upper-case hex; '/' is kept only when encode_slash is
// false (object-key paths). Decoding is strict: a '%' not followed by two hex digits fails.
// '+' is a literal plus everywhere, also in query strings, as S3 treats it: clients that mean
// a space send %20. ListingUrlEncode is the other encoding S3 uses, for encoding-type=url in
// list responses. All functions are pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/result.h"

namespace ferry::s3 {

// Query parameters, decoded, in the order they appeared. Names are case-sensitive.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

std::string UriEncode(std::string_view in, bool encode_slash);

// nullopt when a '%' is not followed by two hex digits.
std::optional<std::string> UriDecode(std::string_view in);

// Parses the raw query string (the part after '?', without it) into decoded pairs in order.
// "a=1&b&c=" gives {a,1} {b,""} {c,""}; empty pieces ("a=1&&b=2") are skipped; only the
// first '=' splits name from value. InvalidArgument on a bad percent escape.
Result<QueryParams> ParseQuery(std::string_view raw);

// The value of the first parameter named `name`, nullopt when absent.
std::optional<std::string_view> FindQueryParam(const QueryParams& params, std::string_view name);

// The encoding S3 applies to keys and prefixes in list responses when the request asked for
// encoding-type=url: keeps A-Z a-z 0-9 - _ . / * and escapes everything else (including '~',
// '+' and the space) as %XX. A space as %20 reads back right whether a client unescapes
// form-style (unquote_plus, Go's QueryUnescape) or path-style; as '+' it would not.
std::string ListingUrlEncode(std::string_view in);

}  // namespace ferry::s3
