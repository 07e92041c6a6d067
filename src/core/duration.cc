#include "core/duration.h"

#include <charconv>
#include <string>

namespace ferry {

Result<int64_t> ParseDurationNs(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' is not a duration (such as 5s, 250ms or 2h)");
  };
  double value = 0;
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || value < 0) return bad();
  const std::string_view unit(rest, static_cast<size_t>(end - rest));
  double scale = 1e9;
  if (unit == "ms")
    scale = 1e6;
  else if (unit == "m")
    scale = 60e9;
  else if (unit == "h")
    scale = 3600e9;
  else if (unit == "d")
    scale = 86400e9;
  else if (!unit.empty() && unit != "s")
    return bad();
  const double ns = value * scale;
  if (ns > 9.2e18) return bad();
  return static_cast<int64_t>(ns);
}

}  // namespace ferry
