#include "sync/pattern.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace ferry::sync {
namespace {

TEST(PathSelector, EverythingByDefault) {
  PathSelector s;
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(s.Selects("a/b.txt"));
}

TEST(PathSelector, IncludesFoldersAndPatterns) {
  PathSelector s;
  ASSERT_TRUE(s.AddIncludes("/photos|/docs/*.txt").ok());
  EXPECT_TRUE(s.Selects("photos/"));
  EXPECT_TRUE(s.Selects("photos/2024/a.jpg"));
  EXPECT_TRUE(s.Selects("docs/readme.txt"));
  EXPECT_FALSE(s.Selects("docs/readme.md"));
  EXPECT_FALSE(s.Selects("photosx/a.jpg"));
  EXPECT_FALSE(s.Selects("other.txt"));
  EXPECT_TRUE(s.MayDescend("docs/"));
}

TEST(PathSelector, ExcludesWinAndPrune) {
  PathSelector s;
  ASSERT_TRUE(s.AddExcludes("*.tmp|*/.snapshot|/scratch/").ok());
  EXPECT_FALSE(s.Selects("a/b.tmp"));
  EXPECT_FALSE(s.Selects("x/.snapshot/"));
  EXPECT_FALSE(s.Selects("x/.snapshot/file"));
  EXPECT_FALSE(s.MayDescend("scratch/"));
  EXPECT_TRUE(s.Selects("scratchpad/a"));
  EXPECT_TRUE(s.Selects("a/b.txt"));
}

TEST(PathSelector, OrderedGlobsAsTheAwsCliReadsThem) {
  PathSelector s;
  transfer::PathFilter globs;
  globs.Exclude("*");
  globs.Include("*.jpg");
  s.UseOrderedGlobs(globs);
  EXPECT_FALSE(s.empty());
  EXPECT_TRUE(s.Selects("a/b.jpg"));
  EXPECT_FALSE(s.Selects("a/b.png"));
  EXPECT_TRUE(s.MayDescend("a/")) << "a later include may take what is below";
}

TEST(PathSelector, RejectsEmptyPatterns) {
  PathSelector s;
  EXPECT_FALSE(s.AddIncludes("/a||/b").ok());
  EXPECT_FALSE(s.AddExcludes("").ok());
}

TEST(PathSelector, FilesOfPatternsAndManifests) {
  std::string dir = "/tmp/ferry-pattern-" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  std::ofstream(dir + "/ex") << "# comment\n*.log\n\n/build\n";
  std::ofstream(dir + "/manifest") << "a/one.txt\n/b/two.txt\n";
  PathSelector s;
  ASSERT_TRUE(s.AddExcludesFromFile(dir + "/ex").ok());
  ASSERT_TRUE(s.AddManifest(dir + "/manifest").ok());
  EXPECT_TRUE(s.Selects("a/one.txt"));
  EXPECT_TRUE(s.Selects("b/two.txt"));
  EXPECT_FALSE(s.Selects("a/other.txt"));
  EXPECT_FALSE(s.MayDescend("build/"));
  EXPECT_FALSE(s.AddManifest(dir + "/missing").ok());
  std::remove((dir + "/ex").c_str());
  std::remove((dir + "/manifest").c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace ferry::sync
