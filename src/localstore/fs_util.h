// Small POSIX helpers for the local store: an owning file descriptor, full reads and writes
// that retry on EINTR and short counts, directory fsync, recursive removal and random ids.
// Every failure comes back as a Status naming the path; nothing here throws. Thread-safe
// (no shared state).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ferry/result.h"
#include "ferry/status.h"

namespace ferry::local {

// Owns one file descriptor; closes it on destruction. Movable, not copyable.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

// An I/O failure as a Status carrying S3 InternalError (500), "context: strerror(err)".
Status IoError(std::string_view context, int err);

// Writes all of data at the file's current position.
Status WriteAll(int fd, std::span<const char> data, std::string_view what);
// core/file_io.h's, failing with S3 code InternalError.
Status PwriteAll(int fd, std::span<const char> data, uint64_t offset, std::string_view what);
// core/file_io.h's, failing with S3 code InternalError.
Result<size_t> PreadFull(int fd, std::span<char> out, uint64_t offset, std::string_view what);

// fsync of a file or directory descriptor; a no-op when enabled is false.
Status Fsync(int fd, std::string_view what, bool enabled = true);
// Opens dir (relative to dirfd, or absolute) and fsyncs it.
Status FsyncDir(int dirfd, const std::string& dir, bool enabled = true);

// Opens a directory for *at() calls.
Result<UniqueFd> OpenDir(int dirfd, const std::string& path);
// mkdir that treats an existing directory as success.
Status MakeDir(int dirfd, const std::string& path);
// Removes path and everything under it (relative to dirfd); a missing path is success.
Status RemoveTree(int dirfd, const std::string& path);

// Cryptographically random bytes from the kernel (getrandom).
std::string RandomBytes(size_t n);
// n random bytes as 2n lower-case hex digits.
std::string RandomHex(size_t n);

}  // namespace ferry::local
