#include "s3/names.h"

#include <gtest/gtest.h>

#include <string>

namespace ferry::s3 {
namespace {

TEST(BucketName, AcceptsValidNames) {
  for (const char* ok : {"abc", "my-bucket", "my.bucket.name", "1bucket", "a-b.c-d", "123.456.789",
                         "192.168.5.4.5"}) {
    EXPECT_TRUE(ValidateBucketName(ok).ok()) << ok;
  }
  EXPECT_TRUE(ValidateBucketName(std::string(63, 'a')).ok());
}

TEST(BucketName, RejectsInvalidNames) {
  for (const char* bad : {"", "ab", "ABC", "my_bucket", "-bucket", "bucket-", ".bucket", "bucket.",
                          "my..bucket", "192.168.5.4", "xn--bucket", "sthree-x", "bucket-s3alias",
                          "bucket--ol-s3", "my bucket", "bücket"}) {
    Status s = ValidateBucketName(bad);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.s3_code(), "InvalidBucketName") << bad;
    EXPECT_EQ(s.http_status(), 400);
  }
  EXPECT_FALSE(ValidateBucketName(std::string(64, 'a')).ok());
}

TEST(ObjectKey, Validates) {
  EXPECT_TRUE(ValidateObjectKey("a").ok());
  EXPECT_TRUE(ValidateObjectKey("dir/../a//b ").ok());
  EXPECT_TRUE(ValidateObjectKey("caf\xC3\xA9/\xF0\x9F\x98\x80").ok());
  EXPECT_TRUE(ValidateObjectKey(std::string(1024, 'k')).ok());
  EXPECT_EQ(ValidateObjectKey(std::string(1025, 'k')).s3_code(), "KeyTooLongError");
  EXPECT_EQ(ValidateObjectKey("").s3_code(), "InvalidArgument");
  EXPECT_EQ(ValidateObjectKey("bad\xFF").s3_code(), "InvalidArgument");
}

TEST(Utf8, StrictDecoding) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF\xF4\x8F\xBF\xBF"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xF8\x88\x80\x80\x80"));
}

}  // namespace
}  // namespace ferry::s3
