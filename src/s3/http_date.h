// The time formats of the S3 wire protocol, as pure conversions to and from Unix time (UTC).
//
//   HTTP dates      "Wed, 21 Oct 2015 07:28:00 GMT" (RFC 1123, what ferry sends); parsing
//                   also accepts RFC 850 ("Wednesday, 21-Oct-15 07:28:00 GMT") and asctime
//                   ("Wed Oct 21 07:28:00 2015"), as RFC 7231 requires of recipients.
//   ISO 8601        "2015-10-21T07:28:00.000Z" (XML LastModified and the like).
//   SigV4 basic     "20150830T123600Z" (x-amz-date, X-Amz-Date).
//
// No locale, no time zone database, no libc time functions: the calendar arithmetic is done
// here, so results do not depend on the environment. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::s3 {

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;

std::string FormatHttpDate(int64_t unix_seconds);
// Seconds since the epoch, nullopt when the text is none of the three HTTP date formats.
std::optional<int64_t> ParseHttpDate(std::string_view text);

// Milliseconds are always written (".000Z"); nanoseconds below a millisecond are dropped.
std::string FormatIso8601(int64_t unix_nanos);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction]Z"; returns nanoseconds since the epoch.
std::optional<int64_t> ParseIso8601(std::string_view text);

std::string FormatAmzDate(int64_t unix_seconds);
// Exactly "YYYYMMDDTHHMMSSZ"; returns seconds since the epoch.
std::optional<int64_t> ParseAmzDate(std::string_view text);

// Floor division of nanoseconds into seconds (correct for times before 1970 too).
inline int64_t NanosToSeconds(int64_t nanos) {
  int64_t s = nanos / kNanosPerSecond;
  return (nanos % kNanosPerSecond < 0) ? s - 1 : s;
}

}  // namespace ferry::s3
