#include "transfer/staged_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace ferry::transfer {
namespace {

namespace fs = std::filesystem;

class StagedFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ferry-staged-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  size_t Entries() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }

  fs::path dir_;
};

TEST_F(StagedFileTest, AppearsOnlyAtCommit) {
  std::string dest = (dir_ / "a.bin").string();
  auto file = StagedFile::Create(dest);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_EQ(::write(file->fd(), "hello", 5), 5);
  EXPECT_FALSE(fs::exists(dest));
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_EQ(Read(dest), "hello");
  EXPECT_EQ(Entries(), 1u);
}

TEST_F(StagedFileTest, ReplacesAnExistingFile) {
  std::string dest = (dir_ / "a.bin").string();
  std::ofstream(dest) << "old contents";
  auto file = StagedFile::Create(dest);
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(::write(file->fd(), "new", 3), 3);
  EXPECT_EQ(Read(dest), "old contents");
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_EQ(Read(dest), "new");
  EXPECT_EQ(Entries(), 1u);  // no temp name left behind
}

TEST_F(StagedFileTest, AbandonLeavesNothing) {
  std::string dest = (dir_ / "a.bin").string();
  {
    auto file = StagedFile::Create(dest);
    ASSERT_TRUE(file.ok());
    ASSERT_EQ(::write(file->fd(), "partial", 7), 7);
  }  // destroyed without Commit
  EXPECT_EQ(Entries(), 0u);
  auto file = StagedFile::Create(dest);
  ASSERT_TRUE(file.ok());
  file->Abandon();
  EXPECT_EQ(Entries(), 0u);
}

TEST_F(StagedFileTest, CreatesMissingParents) {
  std::string dest = (dir_ / "new" / "dirs" / "a.bin").string();
  auto file = StagedFile::Create(dest);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_TRUE(fs::is_regular_file(dest));
}

TEST_F(StagedFileTest, ParentThatIsAFileIsAnError) {
  std::ofstream(dir_ / "plain") << "x";
  auto file = StagedFile::Create((dir_ / "plain" / "a.bin").string());
  EXPECT_FALSE(file.ok());
}

}  // namespace
}  // namespace ferry::transfer
