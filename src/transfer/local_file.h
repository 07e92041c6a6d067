// Local file-system helpers for transfers: an owning descriptor, temp files beside a
// destination, directory creation, and applying POSIX attributes from object metadata.
#pragma once

#include <sys/stat.h>

#include <string>

#include "ferry/result.h"
#include "s3/posix_meta.h"

namespace ferry::transfer {

// Owns one open file descriptor; closes it on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset();

 private:
  int fd_ = -1;
};

// The process umask, read without changing it (from /proc/self/status; 022 if unknown).
unsigned ReadUmask();

// mkdir -p for the directory that will hold path.
Status MakeParentDirs(const std::string& path);

// Creates a new, empty temp file next to dest ("dir/.name.ferry-XXXXXX"), mode 0600.
Result<Fd> CreateTempBeside(const std::string& dest, std::string* temp_path);

// The POSIX attributes of an open file, as stored with an upload.
s3::PosixAttributes AttributesOf(const struct stat& st);

// Applies mode (default 0666 & ~umask when absent), mtime/atime and, when restore_owner,
// uid/gid to an open file.
Status ApplyAttributes(int fd, const s3::PosixAttributes& attrs, unsigned umask,
                       bool restore_owner);

// Owner and times of the entry at path itself, not following a symbolic link (links have no
// mode of their own).
Status ApplyLinkAttributes(const std::string& path, const s3::PosixAttributes& attrs,
                           bool restore_owner);

}  // namespace ferry::transfer
