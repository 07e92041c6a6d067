// The errno a gateway operation fails with, carried in its Status: POSIX outcomes that no
// store error names (ENOTEMPTY, EISDIR, EXDEV, ...) travel to the kernel adapter as they are;
// every other failure maps as the mount's do (fs/errno_of.h).
#pragma once

#include <string_view>

#include "ferry/status.h"

namespace ferry::gateway {

Status PosixError(int err, std::string_view context);
int ErrnoOf(const Status& status);

}  // namespace ferry::gateway
