#include "sync/local_attrs.h"

#include <sys/stat.h>

#include <cerrno>

#include "transfer/local_file.h"

namespace ferry::sync {

Status ApplyLocalAttributes(const std::string& path, EntryKind kind,
                            const s3::PosixAttributes& attrs, const Preserve& preserve) {
  if (preserve.mode && attrs.mode && kind != EntryKind::kSymlink) {
    if (::chmod(path.c_str(), *attrs.mode & 07777) != 0) return Status::FromErrno(path, errno);
  }
  s3::PosixAttributes rest = attrs;
  // A directory's times change with its contents anyway.
  if (!preserve.times || kind == EntryKind::kDirectory) rest.mtime_ns = rest.atime_ns = {};
  return transfer::ApplyLinkAttributes(path, rest, preserve.owner);
}

}  // namespace ferry::sync
