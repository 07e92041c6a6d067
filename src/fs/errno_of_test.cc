#include "fs/errno_of.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "s3/errors.h"

namespace ferry::fs {
namespace {

TEST(ErrnoOf, EveryCodeMeansWhatALocalFileSystemWouldSay) {
  EXPECT_EQ(ErrnoOf(Status::OK()), 0);
  EXPECT_EQ(ErrnoOf(s3err::NoSuchKey("b", "k")), ENOENT);
  EXPECT_EQ(ErrnoOf(s3err::NoSuchBucket("b")), ENOENT);
  EXPECT_EQ(ErrnoOf(s3err::AccessDenied("no")), EACCES);
  // An object replaced under an open file: the handle is stale, not the disk broken.
  EXPECT_EQ(ErrnoOf(s3err::PreconditionFailed("etag")), ESTALE);
  EXPECT_EQ(ErrnoOf(Status::NoSpace("disk")), ENOSPC);
  EXPECT_EQ(ErrnoOf(Status::ResourceExhausted("cache")), ENOBUFS);
  EXPECT_EQ(ErrnoOf(Status::Cancelled("stop")), EINTR);
  EXPECT_EQ(ErrnoOf(Status::NotImplemented("op")), EOPNOTSUPP);
  EXPECT_EQ(ErrnoOf(Status::AlreadyExists("x")), EEXIST);
  EXPECT_EQ(ErrnoOf(Status::InvalidArgument("x")), EINVAL);
  for (const Status& st :
       {Status::IOError("disk"), Status::Corruption("crc"), Status::Unavailable("net"),
        Status::Internal("bug"), s3err::SlowDown("later"), s3err::InternalError("500")}) {
    EXPECT_EQ(ErrnoOf(st), EIO) << st.ToString();
  }
}

}  // namespace
}  // namespace ferry::fs
