#include "cli/usage_hints.h"

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

}  // namespace
}  // namespace ferry::cli
