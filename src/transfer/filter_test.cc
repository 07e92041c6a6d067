#include "transfer/filter.h"

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

}  // namespace
}  // namespace ferry::transfer
