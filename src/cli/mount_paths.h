// Finding the mount a path lies in, for the commands that talk to a running mount or gateway
// through its control socket.
#pragma once

#include <string>
#include <utility>

#include "ferry/result.h"

namespace ferry::cli {

// The root of the mount holding path (where the device changes going up), and path relative
// to it.
Result<std::pair<std::string, std::string>> MountOf(const std::string& path);

}  // namespace ferry::cli
