#include "store/names.h"

#include <gtest/gtest.h>

namespace ferry::local {
namespace {

TEST(Names, BucketNames) {
  EXPECT_TRUE(ValidateBucketName(std::string(63, 'a')).ok());
  for (const char* ok : {"abc", "my-bucket", "my.bucket.1", "a1b"}) {
    EXPECT_TRUE(ValidateBucketName(ok).ok()) << ok;
  }
  for (const char* bad : {"ab", "", ".ferry", "-abc", "abc-", "ABC", "a_b", "a..b", "192.168.1.1",
                          "xn--abc", "abc-s3alias", "abc--ol-s3", "a b"}) {
    Status s = ValidateBucketName(bad);
    EXPECT_EQ(s.s3_code(), "InvalidBucketName") << bad;
  }
  EXPECT_FALSE(ValidateBucketName(std::string(64, 'a')).ok());
  EXPECT_TRUE(ValidateBucketName("1.2.3.4.5").ok());  // not an IPv4 address
}

TEST(Names, Keys) {
  for (std::string_view ok : std::initializer_list<std::string_view>{
           "a", "a/", "..", "//", "a b+c%20", "ünï/cødé/🙂", "../../etc/passwd",
           std::string_view("a\0b", 3)}) {
    EXPECT_TRUE(ValidateKey(ok).ok()) << ok;
  }
  EXPECT_TRUE(ValidateKey(std::string(1024, 'k')).ok());
  EXPECT_EQ(ValidateKey(std::string(1025, 'k')).s3_code(), "KeyTooLongError");
  EXPECT_EQ(ValidateKey("").s3_code(), "InvalidArgument");
  EXPECT_EQ(ValidateKey("\xff").s3_code(), "InvalidArgument");
}

TEST(Names, Utf8) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x99\x82"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));
}

TEST(Names, PrefixSuccessor) {
  EXPECT_EQ(PrefixSuccessor("a/"), "a0");
  EXPECT_EQ(PrefixSuccessor("ab\xff"), "ac");
  EXPECT_FALSE(PrefixSuccessor("").has_value());
  EXPECT_FALSE(PrefixSuccessor("\xff\xff").has_value());
}

}  // namespace
}  // namespace ferry::local
