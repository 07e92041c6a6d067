#include "s3/http_date.h"

#include <array>
#include <cstdio>

namespace ferry::s3 {
namespace {

constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct Civil {
  int64_t year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int hour = 0;
  int minute = 0;
  int second = 0;
};

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian calendar).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Civil CivilFromSeconds(int64_t t) {
  int64_t days = t / 86400;
  int64_t rem = t % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  Civil c;
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>(rem / 60 % 60);
  c.second = static_cast<int>(rem % 60);
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2);
  return c;
}

int Weekday(int64_t unix_seconds) {
  int64_t days = unix_seconds / 86400 - (unix_seconds % 86400 < 0 ? 1 : 0);
  int64_t w = (days + 4) % 7;  // 1970-01-01 was a Thursday
  return static_cast<int>(w < 0 ? w + 7 : w);
}

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDaysIn[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDaysIn[month - 1];
}

std::optional<int64_t> ToSeconds(const Civil& c) {
  if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > DaysInMonth(c.year, c.month) ||
      c.hour > 23 || c.minute > 59 || c.second > 60) {
    return std::nullopt;
  }
  // A leap second (":60") is read as the first second of the next minute.
  return DaysFromCivil(c.year, c.month, c.day) * 86400 + c.hour * 3600 + c.minute * 60 + c.second;
}

// A cursor over the text for the hand-written parsers below.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool done() const { return s_.empty(); }
  bool Literal(std::string_view lit) {
    if (s_.substr(0, lit.size()) != lit) return false;
    s_.remove_prefix(lit.size());
    return true;
  }
  void SkipSpaces() {
    while (!s_.empty() && s_.front() == ' ') s_.remove_prefix(1);
  }
  // Exactly `min`..`max` decimal digits.
  bool Digits(size_t min, size_t max, int64_t* out) {
    size_t n = 0;
    int64_t v = 0;
    while (n < s_.size() && n < max && s_[n] >= '0' && s_[n] <= '9') v = v * 10 + (s_[n++] - '0');
    if (n < min) return false;
    s_.remove_prefix(n);
    *out = v;
    return true;
  }
  template <size_t N>
  bool OneOf(const std::array<std::string_view, N>& names, int* index) {
    for (size_t i = 0; i < N; ++i) {
      if (Literal(names[i])) {
        *index = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }
  bool Time(Civil* c) {
    int64_t h, m, s;
    if (!Digits(2, 2, &h) || !Literal(":") || !Digits(2, 2, &m) || !Literal(":") ||
        !Digits(2, 2, &s)) {
      return false;
    }
    c->hour = static_cast<int>(h);
    c->minute = static_cast<int>(m);
    c->second = static_cast<int>(s);
    return true;
  }

 private:
  std::string_view s_;
};

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<int64_t> ParseRfc1123(std::string_view text) {
  Scanner sc(text);
  Civil c;
  int wd, mon;
  int64_t day, year;
  if (!sc.OneOf(kDays, &wd) || !sc.Literal(", ") || !sc.Digits(1, 2, &day) || !sc.Literal(" ") ||
      !sc.OneOf(kMonths, &mon) || !sc.Literal(" ") || !sc.Digits(4, 4, &year) || !sc.Literal(" ") ||
      !sc.Time(&c) || !sc.Literal(" GMT") || !sc.done()) {
    return std::nullopt;
  }
  c.year = year;
  c.month = mon + 1;
  c.day = static_cast<int>(day);
  return ToSeconds(c);
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<int64_t> ParseRfc850(std::string_view text) {
  Scanner sc(text);
  Civil c;
  int wd, mon;
  int64_t day, year;
  if (!sc.OneOf(kLongDays, &wd) || !sc.Literal(", ") || !sc.Digits(2, 2, &day) ||
      !sc.Literal("-") || !sc.OneOf(kMonths, &mon) || !sc.Literal("-") || !sc.Digits(2, 2, &year) ||
      !sc.Literal(" ") || !sc.Time(&c) || !sc.Literal(" GMT") || !sc.done()) {
    return std::nullopt;
  }
  c.year = year < 70 ? 2000 + year : 1900 + year;
  c.month = mon + 1;
  c.day = static_cast<int>(day);
  return ToSeconds(c);
}

// "Sun Nov  6 08:49:37 1994"
std::optional<int64_t> ParseAsctime(std::string_view text) {
  Scanner sc(text);
  Civil c;
  int wd, mon;
  int64_t day, year;
  if (!sc.OneOf(kDays, &wd) || !sc.Literal(" ") || !sc.OneOf(kMonths, &mon) || !sc.Literal(" ")) {
    return std::nullopt;
  }
  sc.SkipSpaces();
  if (!sc.Digits(1, 2, &day) || !sc.Literal(" ") || !sc.Time(&c) || !sc.Literal(" ") ||
      !sc.Digits(4, 4, &year) || !sc.done()) {
    return std::nullopt;
  }
  c.year = year;
  c.month = mon + 1;
  c.day = static_cast<int>(day);
  return ToSeconds(c);
}

}  // namespace

std::string FormatHttpDate(int64_t unix_seconds) {
  Civil c = CivilFromSeconds(unix_seconds);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04lld %02d:%02d:%02d GMT",
                kDays[Weekday(unix_seconds)].data(), c.day, kMonths[c.month - 1].data(),
                static_cast<long long>(c.year), c.hour, c.minute, c.second);
  return buf;
}

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (auto t = ParseRfc1123(text)) return t;
  if (auto t = ParseRfc850(text)) return t;
  return ParseAsctime(text);
}

std::string FormatIso8601(int64_t unix_nanos) {
  int64_t secs = NanosToSeconds(unix_nanos);
  int64_t millis = (unix_nanos - secs * kNanosPerSecond) / 1'000'000;
  Civil c = CivilFromSeconds(secs);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02d:%02d:%02d.%03lldZ",
                static_cast<long long>(c.year), c.month, c.day, c.hour, c.minute, c.second,
                static_cast<long long>(millis));
  return buf;
}

std::optional<int64_t> ParseIso8601(std::string_view text) {
  Scanner sc(text);
  Civil c;
  int64_t year, month, day;
  if (!sc.Digits(4, 4, &year) || !sc.Literal("-") || !sc.Digits(2, 2, &month) || !sc.Literal("-") ||
      !sc.Digits(2, 2, &day) || !sc.Literal("T") || !sc.Time(&c)) {
    return std::nullopt;
  }
  int64_t frac_ns = 0;
  if (sc.Literal(".")) {
    int64_t frac;
    // Read up to 9 digits of fraction, scaling to nanoseconds; ignore any further digits.
    int64_t scale = kNanosPerSecond;
    int digits = 0;
    while (sc.Digits(1, 1, &frac)) {
      if (digits < 9) {
        scale /= 10;
        frac_ns += frac * scale;
      }
      ++digits;
    }
    if (digits == 0) return std::nullopt;
  }
  if (!sc.Literal("Z") || !sc.done()) return std::nullopt;
  c.year = year;
  c.month = static_cast<int>(month);
  c.day = static_cast<int>(day);
  auto secs = ToSeconds(c);
  int64_t ns = 0;
  // Nanoseconds since 1970 end in the year 2262; a later date is not a time this can hold.
  if (!secs || __builtin_mul_overflow(*secs, kNanosPerSecond, &ns) ||
      __builtin_add_overflow(ns, frac_ns, &ns)) {
    return std::nullopt;
  }
  return ns;
}

std::string FormatAmzDate(int64_t unix_seconds) {
  Civil c = CivilFromSeconds(unix_seconds);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld%02d%02dT%02d%02d%02dZ", static_cast<long long>(c.year),
                c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

std::optional<int64_t> ParseAmzDate(std::string_view text) {
  Scanner sc(text);
  int64_t year, month, day, h, m, s;
  if (!sc.Digits(4, 4, &year) || !sc.Digits(2, 2, &month) || !sc.Digits(2, 2, &day) ||
      !sc.Literal("T") || !sc.Digits(2, 2, &h) || !sc.Digits(2, 2, &m) || !sc.Digits(2, 2, &s) ||
      !sc.Literal("Z") || !sc.done()) {
    return std::nullopt;
  }
  Civil c{year,
          static_cast<int>(month),
          static_cast<int>(day),
          static_cast<int>(h),
          static_cast<int>(m),
          static_cast<int>(s)};
  return ToSeconds(c);
}

}  // namespace ferry::s3
