// Durations as people write them on a command line: "5s", "250ms", "2m", "1h", "3d", or a
// plain number of seconds (fractions allowed: "1.5h").
#pragma once

#include <cstdint>
#include <string_view>

#include "ferry/result.h"

namespace ferry {

// Nanoseconds; InvalidArgument for anything else, or a negative duration.
Result<int64_t> ParseDurationNs(std::string_view text);

}  // namespace ferry
