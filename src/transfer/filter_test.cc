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

TEST(FilterDialect, SyntaxThenOrderThenTheCommandsOwn) {
  using F = FilterFlag;
  const auto aws = FilterDialect::kAwsCli, datasync = FilterDialect::kDataSync;
  EXPECT_EQ(ChooseFilterDialect({F{true, "/photos|/docs/*.txt"}}, aws), datasync);
  EXPECT_EQ(ChooseFilterDialect({F{false, " /scratch"}}, aws), datasync);
  EXPECT_EQ(ChooseFilterDialect({F{false, "*"}, F{true, "*.jpg"}}, datasync), aws)
      << "an include after an exclude means something only in the AWS CLI's form";
  EXPECT_EQ(ChooseFilterDialect({F{true, "*.jpg"}, F{false, "*.tmp"}}, datasync), datasync);
  EXPECT_EQ(ChooseFilterDialect({F{false, "*.tmp"}}, aws), aws);
  EXPECT_EQ(ChooseFilterDialect({F{false, "*.tmp"}}, datasync), datasync);
  EXPECT_EQ(ChooseFilterDialect({F{false, "*"}, F{true, "/keep|/also"}}, aws), datasync)
      << "explicit syntax decides";
}

TEST(ContentType, ByExtension) {
  EXPECT_EQ(GuessContentType("a/b/labels.CSV"), "text/csv");
  EXPECT_EQ(GuessContentType("x.jpg"), "image/jpeg");
  EXPECT_EQ(GuessContentType("weights.bin"), "");
  EXPECT_EQ(GuessContentType("dir.d/noext"), "");
}

}  // namespace
}  // namespace ferry::transfer
