#include "transfer/location.h"

#include <gtest/gtest.h>

namespace ferry::transfer {
namespace {

TEST(Location, ParsesS3AndLocal) {
  auto a = ParseLocation("s3://bucket/some/key");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->is_s3);
  EXPECT_EQ(a->bucket, "bucket");
  EXPECT_EQ(a->key, "some/key");
  auto b = ParseLocation("s3://bucket");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->key, "");
  auto c = ParseLocation("./data/x");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->is_s3);
  EXPECT_EQ(c->path, "./data/x");
  EXPECT_FALSE(ParseLocation("s3://").ok());
  EXPECT_FALSE(ParseLocation("s3:///key").ok());
}

TEST(Location, JoinKey) {
  EXPECT_EQ(JoinKey("", "a/b"), "a/b");
  EXPECT_EQ(JoinKey("p", "a"), "p/a");
  EXPECT_EQ(JoinKey("p/", "a"), "p/a");
}

}  // namespace
}  // namespace ferry::transfer
