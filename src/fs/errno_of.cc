#include "fs/errno_of.h"

#include <cerrno>

namespace ferry::fs {

int ErrnoOf(const Status& status) {
  // An archived object not restored yet (archived_reads.h): try again later.
  if (status.s3_code() == "InvalidObjectState") return EAGAIN;
  switch (status.code()) {
    case Status::Code::kOk:
      return 0;
    case Status::Code::kNotFound:
      return ENOENT;
    case Status::Code::kAlreadyExists:
      return EEXIST;
    case Status::Code::kInvalidArgument:
      return EINVAL;
    case Status::Code::kPreconditionFailed:
      return ESTALE;
    case Status::Code::kPermissionDenied:
      return EACCES;
    case Status::Code::kNotImplemented:
      return EOPNOTSUPP;
    case Status::Code::kCancelled:
      return EINTR;
    case Status::Code::kResourceExhausted:
      return ENOBUFS;
    case Status::Code::kNoSpace:
      return ENOSPC;
    case Status::Code::kIOError:
    case Status::Code::kCorruption:
    case Status::Code::kUnavailable:
    case Status::Code::kInternal:
      return EIO;
  }
  return EIO;
}

}  // namespace ferry::fs
