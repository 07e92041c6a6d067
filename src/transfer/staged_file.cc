#include "transfer/staged_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace ferry::transfer {
namespace {

std::string ParentOf(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// Linking an anonymous file needs its /proc/self/fd name (AT_EMPTY_PATH needs a capability).
bool CanLinkAnonymous() {
  static const bool can = ::access("/proc/self/fd", X_OK) == 0;
  return can;
}

// An fd, or -1 with errno set.
int OpenAnonymous(const std::string& dir) {
  return ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
}

}  // namespace

Result<StagedFile> StagedFile::Create(const std::string& dest) {
  if (CanLinkAnonymous()) {
    const std::string dir = ParentOf(dest);
    int fd = OpenAnonymous(dir);
    if (fd < 0 && errno == ENOENT) {
      FERRY_RETURN_IF_ERROR(MakeParentDirs(dest));
      fd = OpenAnonymous(dir);
    }
    if (fd >= 0) return StagedFile(dest, Fd(fd), "");
    // File systems without O_TMPFILE answer EOPNOTSUPP (or EISDIR on old kernels).
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
      return Status::FromErrno(dest, errno);
    }
  }
  FERRY_RETURN_IF_ERROR(MakeParentDirs(dest));
  std::string temp_path;
  FERRY_ASSIGN_OR_RETURN(Fd fd, CreateTempBeside(dest, &temp_path));
  return StagedFile(dest, std::move(fd), std::move(temp_path));
}

Status StagedFile::LinkAnonymous() {
  std::string proc_path = "/proc/self/fd/" + std::to_string(fd_.get());
  if (::linkat(AT_FDCWD, proc_path.c_str(), AT_FDCWD, dest_.c_str(), AT_SYMLINK_FOLLOW) == 0) {
    return Status::OK();
  }
  if (errno != EEXIST) return Status::FromErrno(dest_, errno);
  // dest exists: link under a temp name, then rename over it (atomic replacement).
  auto p = std::filesystem::path(dest_);
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string temp =
        (p.parent_path() / ("." + p.filename().string() + ".ferry-" + std::to_string(::getpid()) +
                            "-" + std::to_string(attempt)))
            .string();
    if (::linkat(AT_FDCWD, proc_path.c_str(), AT_FDCWD, temp.c_str(), AT_SYMLINK_FOLLOW) == 0) {
      temp_path_ = std::move(temp);
      return Status::OK();
    }
    if (errno != EEXIST) return Status::FromErrno(dest_, errno);
  }
  return Status::IOError(dest_ + ": cannot create a temporary name");
}

Status StagedFile::Commit() {
  if (done_) return Status::Internal(dest_ + ": committed twice");
  if (temp_path_.empty()) FERRY_RETURN_IF_ERROR(LinkAnonymous());
  fd_.Reset();
  if (!temp_path_.empty() && ::rename(temp_path_.c_str(), dest_.c_str()) != 0) {
    return Status::FromErrno(dest_, errno);  // the destructor removes the temp name
  }
  done_ = true;
  return Status::OK();
}

void StagedFile::Abandon() {
  if (done_) return;
  fd_.Reset();
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  done_ = true;
}

}  // namespace ferry::transfer
