#include "sync/schedule.h"

#include <cctype>
#include <charconv>
#include <ctime>
#include <optional>
#include <sstream>
#include <vector>

namespace ferry::sync {
namespace {

constexpr int kFirstYear = 1970;

Status Bad(const std::string& expression, const std::string& why) {
  return Status::InvalidArgument("schedule \"" + expression + "\": " + why);
}

std::optional<int> Number(std::string_view text, const char* const* names, int first_name) {
  int v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && p == text.data() + text.size()) return v;
  if (names) {
    for (int i = 0; names[i]; ++i) {
      std::string upper(text);
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (upper == names[i]) return first_name + i;
    }
  }
  return std::nullopt;
}

const char* const kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",  "JUL",
                               "AUG", "SEP", "OCT", "NOV", "DEC", nullptr};
const char* const kDays[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", nullptr};

// Sets bits lo..hi of the field that `text` selects. any: the field was '*' or '?'.
template <size_t N>
Status ParseField(const std::string& expression, std::string_view text, int lo, int hi,
                  const char* const* names, std::bitset<N>& bits, bool* any, int offset = 0) {
  if (text == "*" || text == "?") {
    for (int v = lo; v <= hi; ++v) bits.set(static_cast<size_t>(v - offset));
    if (any) *any = true;
    return Status::OK();
  }
  if (any) *any = false;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma - start);
    int step = 1;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      auto s = Number(item.substr(slash + 1), nullptr, 0);
      if (!s || *s <= 0) return Bad(expression, "bad step in \"" + std::string(item) + "\"");
      step = *s;
      item = item.substr(0, slash);
    }
    int from, to;
    if (item == "*") {
      from = lo;
      to = hi;
    } else if (auto dash = item.find('-'); dash != std::string_view::npos) {
      auto a = Number(item.substr(0, dash), names, lo);
      auto b = Number(item.substr(dash + 1), names, lo);
      if (!a || !b) return Bad(expression, "bad range \"" + std::string(item) + "\"");
      from = *a;
      to = *b;
    } else {
      auto a = Number(item, names, lo);
      if (!a) return Bad(expression, "bad value \"" + std::string(item) + "\"");
      from = *a;
      to = step > 1 ? hi : *a;
    }
    if (from < lo || to > hi || from > to) {
      return Bad(expression, "\"" + std::string(text) + "\" is outside " + std::to_string(lo) +
                                 "-" + std::to_string(hi));
    }
    for (int v = from; v <= to; v += step) bits.set(static_cast<size_t>(v - offset));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return Status::OK();
}

}  // namespace

Result<Schedule> Schedule::Parse(const std::string& expression) {
  Schedule s;
  s.expression_ = expression;
  auto inner = [&](std::string_view prefix) -> std::optional<std::string> {
    if (!expression.starts_with(prefix) || !expression.ends_with(")")) return std::nullopt;
    return expression.substr(prefix.size(), expression.size() - prefix.size() - 1);
  };
  if (auto body = inner("rate(")) {
    std::istringstream in(*body);
    int64_t n = 0;
    std::string unit, extra;
    if (!(in >> n >> unit) || (in >> extra) || n <= 0) {
      return Bad(expression, "expected rate(N minutes|hours|days)");
    }
    if (unit == "minute" || unit == "minutes") {
      s.rate_seconds_ = n * 60;
    } else if (unit == "hour" || unit == "hours") {
      s.rate_seconds_ = n * 3600;
    } else if (unit == "day" || unit == "days") {
      s.rate_seconds_ = n * 86400;
    } else {
      return Bad(expression, "unknown unit \"" + unit + "\" (minutes, hours, days)");
    }
    return s;
  }
  auto body = inner("cron(");
  if (!body) return Bad(expression, "expected rate(...) or cron(...)");
  std::istringstream in(*body);
  std::vector<std::string> f;
  for (std::string field; in >> field;) f.push_back(field);
  if (f.size() != 6) return Bad(expression, "cron needs 6 fields: min hour dom month dow year");
  for (const auto& field : f) {
    if (field.find_first_of("LW#") != std::string::npos) {
      return Bad(expression, "L, W and # are not supported");
    }
  }
  if ((f[2] == "?") == (f[4] == "?") && !(f[2] == "*" && f[4] == "*")) {
    if (f[2] == "?" && f[4] == "?") return Bad(expression, "'?' in both day fields");
  }
  FERRY_RETURN_IF_ERROR(ParseField(expression, f[0], 0, 59, nullptr, s.minutes_, nullptr));
  FERRY_RETURN_IF_ERROR(ParseField(expression, f[1], 0, 23, nullptr, s.hours_, nullptr));
  FERRY_RETURN_IF_ERROR(
      ParseField(expression, f[2], 1, 31, nullptr, s.days_of_month_, &s.any_day_of_month_));
  FERRY_RETURN_IF_ERROR(ParseField(expression, f[3], 1, 12, kMonths, s.months_, nullptr));
  FERRY_RETURN_IF_ERROR(
      ParseField(expression, f[4], 1, 7, kDays, s.days_of_week_, &s.any_day_of_week_));
  FERRY_RETURN_IF_ERROR(ParseField(expression, f[5], kFirstYear, kFirstYear + 199, nullptr,
                                   s.years_, nullptr, kFirstYear));
  return s;
}

int64_t Schedule::NextCronAfter(int64_t t_s) const {
  // Start at the next whole minute; walk days, then the hours and minutes of a matching day.
  int64_t start = (t_s / 60 + 1) * 60;
  int64_t day = start / 86400;
  for (int i = 0; i < 5 * 366; ++i, ++day) {
    time_t day_start = static_cast<time_t>(day * 86400);
    struct tm tm;
    gmtime_r(&day_start, &tm);
    int year = tm.tm_year + 1900;
    if (year - kFirstYear >= 200 || !years_[static_cast<size_t>(year - kFirstYear)]) continue;
    if (!months_[static_cast<size_t>(tm.tm_mon + 1)]) continue;
    bool dom = days_of_month_[static_cast<size_t>(tm.tm_mday)];
    bool dow = days_of_week_[static_cast<size_t>(tm.tm_wday + 1)];
    // As in cron: when both day fields are restricted, either may match.
    bool day_ok = any_day_of_month_ ? dow : any_day_of_week_ ? dom : (dom || dow);
    if (!day_ok) continue;
    for (int h = 0; h < 24; ++h) {
      if (!hours_[static_cast<size_t>(h)]) continue;
      for (int m = 0; m < 60; ++m) {
        if (!minutes_[static_cast<size_t>(m)]) continue;
        int64_t when = day * 86400 + h * 3600 + m * 60;
        if (when >= start) return when;
      }
    }
  }
  return -1;
}

int64_t Schedule::NextRun(int64_t last_start_s, int64_t now_s, int64_t created_s) const {
  if (rate_seconds_ > 0) return last_start_s > 0 ? last_start_s + rate_seconds_ : now_s;
  return NextCronAfter(last_start_s > 0 ? last_start_s : created_s);
}

}  // namespace ferry::sync
