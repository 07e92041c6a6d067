// The kernel's read-ahead for a FUSE mount. The kernel sizes its READ requests by the
// mount's backing-device read-ahead, which starts at 128 KiB and which a FUSE server's INIT
// answer can only lower; a 2 GiB sequential read then takes 16,384 round trips to the mount.
// Root may raise it in sysfs (/sys/class/bdi/MAJOR:MINOR/read_ahead_kb), as the kernel's own
// tools do for block devices.
#pragma once

#include <cstdint>
#include <string>

#include "ferry/status.h"

namespace ferry::fuse {

// The "MAJOR:MINOR" of the file system mounted last on mountpoint (an absolute path), read
// from mountinfo text (the format of /proc/self/mountinfo); empty when none.
std::string DeviceOfMount(const std::string& mountinfo, const std::string& mountpoint);

// Sets the read-ahead of the mount at mountpoint to bytes (rounded down to KiB). Found through
// /proc/self/mountinfo, never by a stat of the mountpoint: that would wait for the mount's
// own answer. PermissionDenied without root.
Status SetKernelReadAhead(const std::string& mountpoint, uint64_t bytes);

}  // namespace ferry::fuse
