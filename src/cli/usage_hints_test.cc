#include "cli/usage_hints.h"

#include "cli/filter_flags.h"

#include <gtest/gtest.h>

namespace ferry::cli {
namespace {

TEST(NearestName, TyposFindTheirWordAndStrangersNothing) {
  const std::vector<std::string> commands = {"ls", "cp", "sync", "status", "stats", "train"};
  EXPECT_EQ(NearestName("lss", commands), "ls");
  EXPECT_EQ(NearestName("stauts", commands), "status") << "a swap is one edit";
  EXPECT_EQ(NearestName("snyc", commands), "sync");
  EXPECT_EQ(NearestName("kubernetes", commands), std::nullopt);
}

TEST(UnknownArgumentMessage, NamesTheCommandOrOption) {
  CLI::App app;
  std::string value;
  bool flag = false;
  CLI::App* cp = app.add_subcommand("cp");
  cp->add_option("--part-size", value);
  cp->add_flag("--recursive,-r", flag);
  cp->add_option("SRC", value);
  app.add_subcommand("ls");
  EXPECT_EQ(UnknownArgumentMessage(app, {"lss"}),
            "ferry: unknown command \"lss\" (did you mean "
            "ls?); commands: cp, ls");
  EXPECT_EQ(UnknownArgumentMessage(app, {"cp", "--part-size", "8M", "--recursiv", "a"}),
            "ferry cp: unknown option --recursiv (did you mean --recursive?)");
  EXPECT_EQ(UnknownArgumentMessage(app, {"cp", "--part-size=8M", "-r", "a"}), std::nullopt);
  EXPECT_EQ(UnknownArgumentMessage(app, {"cp", "a", "--", "--not-an-option"}), std::nullopt);
}

TEST(FilterFlags, KeepTheOrderGivenAcrossBothFlags) {
  CLI::App app;
  std::vector<transfer::FilterFlag> flags;
  AddFilterFlags(app, flags);
  app.parse(std::vector<std::string>{"*.jpg", "--include", "*", "--exclude", "b", "--include", "a",
                                     "--exclude"});  // reversed, as CLI11 takes it
  ASSERT_EQ(flags.size(), 4u);
  EXPECT_FALSE(flags[0].include);
  EXPECT_EQ(flags[0].value, "a");
  EXPECT_TRUE(flags[1].include);
  EXPECT_FALSE(flags[2].include);
  EXPECT_EQ(flags[2].value, "*");
  EXPECT_EQ(flags[3].value, "*.jpg");
  auto selects = CopySelection(flags);
  ASSERT_TRUE(selects.ok());
  EXPECT_TRUE((*selects)("x/y.jpg"));
  EXPECT_FALSE((*selects)("x/y.png"));
}

TEST(FilterFlags, DataSyncPatternsInCp) {
  auto selects = CopySelection({{true, "/photos|/docs/*.txt"}, {false, "*.tmp"}});
  ASSERT_TRUE(selects.ok());
  EXPECT_TRUE((*selects)("photos/2024/a.jpg"));
  EXPECT_FALSE((*selects)("photos/a.tmp"));
  EXPECT_FALSE((*selects)("other/a.jpg"));
  EXPECT_FALSE(CopySelection({{true, "/a||/b"}}).ok()) << "an empty pattern is an error";
}

}  // namespace
}  // namespace ferry::cli
