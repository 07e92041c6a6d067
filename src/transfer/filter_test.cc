#include "transfer/filter.h"
#include "transfer/content_type.h"

#include <gtest/gtest.h>

namespace ferry::transfer {
namespace {

TEST(PathFilter, LastMatchingRuleWins) {
  PathFilter f;
  EXPECT_TRUE(f.Matches("anything"));
  f.Exclude("*");
  f.Include("*.jpg");
  EXPECT_TRUE(f.Matches("a/b/c.jpg"));
  EXPECT_FALSE(f.Matches("a/b/c.png"));
  f.Exclude("tmp/*");
  EXPECT_FALSE(f.Matches("tmp/x.jpg"));
}

TEST(ContentType, ByExtension) {
  EXPECT_EQ(GuessContentType("a/b/labels.CSV"), "text/csv");
  EXPECT_EQ(GuessContentType("x.jpg"), "image/jpeg");
  EXPECT_EQ(GuessContentType("weights.bin"), "");
  EXPECT_EQ(GuessContentType("dir.d/noext"), "");
}

}  // namespace
}  // namespace ferry::transfer
