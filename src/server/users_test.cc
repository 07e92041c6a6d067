#include "server/users.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "testing/store_test_util.h"

namespace ferry::server {
namespace {

TEST(UsersTest, AFileIsReadLineByLine) {
  auto users = ParseUsersFile(
      "# key secret id name\n\nAKIAONE  s1 labels Labelling team\n  AKIATWO s2 vision@lab\n",
      "users");
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].id, "labels");
  EXPECT_EQ((*users)[0].display_name, "Labelling team");
  EXPECT_EQ((*users)[1].display_name, "vision@lab");
  EXPECT_EQ(ParseUsersFile("AKIA s1\n", "users").status().message(),
            "users line 1: expected ACCESS_KEY SECRET_KEY USER_ID [DISPLAY NAME]");
  EXPECT_EQ(ParseUsersFile("A s a\nA s b\n", "u").status().message(),
            "u line 2: the access key A is given twice");
  EXPECT_FALSE(ParseUsersFile("A s bad/id\n", "u").ok());
}

TEST(UsersTest, TheDirectoryFollowsItsFileAndKeepsTheLastGoodSet) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/users";
  std::ofstream(path) << "AKIAONE s1 one\n";
  UserDirectory users({.id = "ferry", .access_key = "AKIAFERRY", .secret_key = "s0"}, path);
  ASSERT_TRUE(users.Load().ok());
  EXPECT_EQ(users.ByAccessKey("AKIAONE")->id, "one");
  EXPECT_EQ(users.ByAccessKey("AKIAFERRY")->id, "ferry");
  EXPECT_FALSE(users.ByAccessKey("AKIATWO"));
  users.Watch(std::chrono::milliseconds(20));
  std::ofstream(path + ".new") << "AKIAONE s1 one\nAKIATWO s2 two\n";
  std::rename((path + ".new").c_str(), path.c_str());
  for (int i = 0; i < 200 && !users.ByAccessKey("AKIATWO"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(users.ById("two")->access_key, "AKIATWO");
  // A broken version, then none at all: the last good set stays.
  std::ofstream(path + ".new") << "AKIAONE\n";
  std::rename((path + ".new").c_str(), path.c_str());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::remove(path.c_str());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(users.ByAccessKey("AKIATWO"));
  EXPECT_TRUE(users.ByAccessKey("AKIAONE"));
}

}  // namespace
}  // namespace ferry::server
