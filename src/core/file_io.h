// Whole-buffer positional file I/O: each call resumes after short transfers and EINTR, so
// callers see all-or-error. Errors carry what (a path or a description) and errno.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ferry/result.h"

namespace ferry {

// Writes all of data at offset.
Status PwriteAll(int fd, std::span<const char> data, uint64_t offset, std::string_view what);
// Writes every buffer of iov, one after the other, from offset.
Status PwritevAll(int fd, std::vector<iovec> iov, uint64_t offset, std::string_view what);
// Reads out.size() bytes at offset; fewer only where the file ends.
Result<size_t> PreadFull(int fd, std::span<char> out, uint64_t offset, std::string_view what);

}  // namespace ferry
