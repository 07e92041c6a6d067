#include "train/job_directory.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ferry::train {
namespace {

class JobDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ferry-jobdir-XXXXXX";
    root_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

TEST_F(JobDirectoryTest, OneJobAtATimeAndNoSilentReuse) {
  const std::string ml = root_ + "/ml";
  auto first = JobDirectory::Claim(ml, false);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = JobDirectory::Claim(ml, false);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use by a running job"), std::string::npos);
  EXPECT_FALSE(JobDirectory::Claim(ml, true).ok()) << "not even to overwrite";
  std::filesystem::create_directories(ml + "/input/data/training");
  std::ofstream(ml + "/input/data/training/cat.jpg") << "cat";
  first->reset();
  auto reused = JobDirectory::Claim(ml, false);
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.status().code(), Status::Code::kAlreadyExists);
  EXPECT_NE(reused.status().message().find("--overwrite"), std::string::npos);
}

TEST_F(JobDirectoryTest, OverwriteRemovesOnlyWhatAJobMakes) {
  const std::string ml = root_ + "/ml";
  for (const char* dir : {"input/data/training", "model", "output/data", "checkpoints", "code"}) {
    std::filesystem::create_directories(ml + "/" + dir);
  }
  std::ofstream(ml + "/model/stale.pt") << "old";
  std::ofstream(ml + "/code/train.py") << "print()";
  std::ofstream(ml + "/job.json") << "{}";
  std::ofstream(ml + "/shard-training.txt") << "a\n";
  std::filesystem::create_directory_symlink(root_, ml + "/input/data/linked");
  auto claimed = JobDirectory::Claim(ml, true);
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(ml + "/model"));
  EXPECT_FALSE(std::filesystem::exists(ml + "/input"));
  EXPECT_FALSE(std::filesystem::exists(ml + "/job.json"));
  EXPECT_FALSE(std::filesystem::exists(ml + "/shard-training.txt"));
  EXPECT_TRUE(std::filesystem::exists(ml + "/code/train.py")) << "not the job's";
  EXPECT_TRUE(std::filesystem::exists(root_)) << "a linked channel is unlinked, not emptied";
}

TEST(MountsUnder, FindsMountsByPathNotPrefixOfAName) {
  // /proc is always mounted; /pro is not a mount, and nothing is under /proc/self/fdinfo.
  EXPECT_FALSE(MountsUnder("/proc").empty());
  EXPECT_TRUE(MountsUnder("/pro").empty());
}

}  // namespace
}  // namespace ferry::train
