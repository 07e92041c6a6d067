#include "ferry/status.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "ferry/result.h"

namespace ferry {
namespace {

TEST(Status, OkCarriesNothing) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(s.WithS3Code("NoSuchKey", 404).ok(), true);
}

TEST(Status, S3CodeAndAnnotation) {
  Status s = Status::NotFound("k").WithS3Code("NoSuchKey", 404).Annotate("s3://b");
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_EQ(s.s3_code(), "NoSuchKey");
  EXPECT_EQ(s.http_status(), 404);
  EXPECT_EQ(s.message(), "s3://b: k");
  EXPECT_FALSE(s.retryable());
  EXPECT_TRUE(Status::Unavailable("x").retryable());
}

Result<int> Half(int v) {
  if (v % 2) return Status::InvalidArgument("odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  FERRY_ASSIGN_OR_RETURN(int h, Half(v));
  return Half(h);
}

TEST(Result, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), Status::Code::kInvalidArgument);
}

TEST(Status, FromErrnoNamesAFullDisk) {
  EXPECT_EQ(Status::FromErrno("write", ENOSPC).code(), Status::Code::kNoSpace);
  EXPECT_EQ(Status::FromErrno("write", EDQUOT).code(), Status::Code::kNoSpace);
  EXPECT_EQ(Status::FromErrno("write", EIO).code(), Status::Code::kIOError);
  EXPECT_NE(Status::NoSpace("x").ToString().find("NoSpace"), std::string::npos);
}

}  // namespace
}  // namespace ferry
