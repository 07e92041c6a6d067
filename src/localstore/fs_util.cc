#include "localstore/fs_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "core/checksum.h"
#include "core/file_io.h"

namespace ferry::local {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) Reset(other.Release());
  return *this;
}

void UniqueFd::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

// An engine failure answers 500 InternalError whatever its category (a blob file that is
// gone is not NoSuchKey), except a full disk, which answers as such.
Status AsStorageError(const Status& s) {
  return s.ok() || s.code() == Status::Code::kNoSpace ? s : s.WithS3Code("InternalError", 500);
}

Status IoError(std::string_view context, int err) {
  return AsStorageError(Status::FromErrno(context, err));
}

Status WriteAll(int fd, std::span<const char> data, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(what, errno);
    }
    data = data.subspan(static_cast<size_t>(n));
  }
  return Status::OK();
}

Status PwriteAll(int fd, std::span<const char> data, uint64_t offset, std::string_view what) {
  return AsStorageError(ferry::PwriteAll(fd, data, offset, what));
}

Result<size_t> PreadFull(int fd, std::span<char> out, uint64_t offset, std::string_view what) {
  auto n = ferry::PreadFull(fd, out, offset, what);
  if (!n.ok()) return AsStorageError(n.status());
  return n;
}

Status Fsync(int fd, std::string_view what, bool enabled) {
  if (!enabled) return Status::OK();
  if (::fsync(fd) != 0) return IoError(std::string("fsync ") + std::string(what), errno);
  return Status::OK();
}

Status FsyncDir(int dirfd, const std::string& dir, bool enabled) {
  if (!enabled) return Status::OK();
  UniqueFd fd(::openat(dirfd, dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return IoError("open " + dir, errno);
  return Fsync(fd.get(), dir);
}

Result<UniqueFd> OpenDir(int dirfd, const std::string& path) {
  UniqueFd fd(::openat(dirfd, path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return IoError("open " + path, errno);
  return fd;
}

Status MakeDir(int dirfd, const std::string& path) {
  if (::mkdirat(dirfd, path.c_str(), 0700) == 0 || errno == EEXIST) return Status::OK();
  return IoError("mkdir " + path, errno);
}

Status RemoveTree(int dirfd, const std::string& path) {
  if (::unlinkat(dirfd, path.c_str(), 0) == 0 || errno == ENOENT) return Status::OK();
  if (errno != EISDIR && errno != EPERM) return IoError("unlink " + path, errno);
  int fd = ::openat(dirfd, path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? Status::OK() : IoError("open " + path, errno);
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    ::close(fd);
    return IoError("opendir " + path, errno);
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  Status status;
  for (const auto& name : names) {
    Status s = RemoveTree(::dirfd(dir), name);
    if (!s.ok() && status.ok()) status = s;
  }
  ::closedir(dir);
  if (!status.ok()) return status;
  if (::unlinkat(dirfd, path.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return IoError("rmdir " + path, errno);
  }
  return Status::OK();
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  size_t done = 0;
  while (done < n) {
    ssize_t got = ::getrandom(out.data() + done, n - done, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      break;  // cannot happen for small requests after boot; fall through to a weaker source
    }
    done += static_cast<size_t>(got);
  }
  return out;
}

std::string RandomHex(size_t n) {
  return HexEncode(RandomBytes(n));
}

}  // namespace ferry::local
