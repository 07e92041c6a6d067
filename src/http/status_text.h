// Small pieces of HTTP/1.1 response framing: reason phrases and the Date header value.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace ferry::http {

std::string_view ReasonPhrase(int status);
// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string FormatHttpDate(std::time_t t);

}  // namespace ferry::http
