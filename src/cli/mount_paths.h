// Finding the mount a path lies in, for the commands that talk to a running mount or gateway
// through its control socket.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <utility>

#include "ferry/result.h"

namespace ferry::cli {

// The root of the mount holding path (where the device changes going up), and path relative
// to it.
Result<std::pair<std::string, std::string>> MountOf(const std::string& path);

// What `ferry mount` and `ferry gateway` mount: s3://bucket[/prefix] on an empty directory.
struct MountTarget {
  std::string bucket;
  std::string prefix;  // "" or ending in '/'
};
// InvalidArgument naming what is wrong with the source or the mount point.
Result<MountTarget> CheckMountArguments(const std::string& source, const std::string& mountpoint);

// The directory under ~/.cache/ferry/KIND/ that a bucket and prefix get by default
// ("BUCKET" or "BUCKET-PREFIX" with '/' as '_'), shared by every mount of that prefix.
std::string DefaultDirFor(const std::string& kind, const std::string& bucket,
                          const std::string& prefix);

// Checks a --file-mode or --dir-mode as the flags are read: a mode that is not octal is a
// usage error (exit 2).
CLI::Validator OctalMode();

}  // namespace ferry::cli
