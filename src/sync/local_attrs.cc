#include "sync/local_attrs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace ferry::sync {
namespace {

struct timespec ToTimespec(int64_t ns) {
  return {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

}  // namespace

Status ApplyLocalAttributes(const std::string& path, EntryKind kind,
                            const s3::PosixAttributes& attrs, const Preserve& preserve) {
  const bool link = kind == EntryKind::kSymlink;
  if (preserve.owner && (attrs.uid || attrs.gid)) {
    if (::lchown(path.c_str(), attrs.uid ? *attrs.uid : -1, attrs.gid ? *attrs.gid : -1) != 0) {
      return Status::FromErrno(path, errno);
    }
  }
  if (preserve.mode && attrs.mode && !link) {
    if (::chmod(path.c_str(), *attrs.mode & 07777) != 0) return Status::FromErrno(path, errno);
  }
  if (preserve.times && attrs.mtime_ns && kind != EntryKind::kDirectory) {
    struct timespec times[2] = {ToTimespec(attrs.atime_ns ? *attrs.atime_ns : *attrs.mtime_ns),
                                ToTimespec(*attrs.mtime_ns)};
    if (::utimensat(AT_FDCWD, path.c_str(), times, link ? AT_SYMLINK_NOFOLLOW : 0) != 0) {
      return Status::FromErrno(path, errno);
    }
  }
  return Status::OK();
}

}  // namespace ferry::sync
