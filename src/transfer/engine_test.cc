#include "transfer/engine.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "core/clock.h"
#include "localstore/local_store.h"

namespace ferry::transfer {
namespace {

namespace fs = std::filesystem;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ferry-engine-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "src");
    LocalStoreOptions so;
    so.fsync = false;
    so.min_part_size = 64 * 1024;
    auto store = LocalStore::Open((dir_ / "store").string(), SystemClock(), so);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    ASSERT_TRUE(store_->CreateBucket("bkt").ok());
    options_.transfers = 4;
    options_.part_size = 64 * 1024;
    options_.multipart_threshold = 100 * 1024;
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  void Write(const std::string& rel, const std::string& data, mode_t mode = 0640) {
    fs::create_directories((dir_ / "src" / rel).parent_path());
    std::ofstream(dir_ / "src" / rel, std::ios::binary) << data;
    ::chmod((dir_ / "src" / rel).c_str(), mode);
  }

  fs::path dir_;
  std::unique_ptr<LocalStore> store_;
  TransferOptions options_;
};

TEST_F(EngineTest, UploadAndDownloadRoundTripWithAttributes) {
  std::map<std::string, std::string> files = {
      {"small.bin", RandomBytes(1000, 1)},
      {"empty", ""},
      {"dir/large.bin", RandomBytes(1'000'003, 2)},  // 16 parts
      {"dir/sub/odd name+%.txt", RandomBytes(70'000, 3)},
  };
  for (auto& [rel, data] : files) Write(rel, data);
  struct timespec times[2] = {{1'600'000'000, 123456789}, {1'600'000'000, 123456789}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (dir_ / "src/dir/large.bin").c_str(), times, 0), 0);
  {
    Progress progress;
    TransferEngine engine(*store_, options_, progress);
    for (auto& [rel, data] : files) {
      engine.Upload({(dir_ / "src" / rel).string(), "bkt", "pre/" + rel});
    }
    auto summary = engine.Finish();
    ASSERT_EQ(summary.failed, 0u) << summary.errors[0].status.ToString();
    EXPECT_EQ(summary.objects, files.size());
    EXPECT_EQ(progress.Snapshot().bytes_done, 1000u + 1'000'003u + 70'000u);
  }
  auto meta = store_->HeadObject("bkt", "pre/dir/large.bin");
  ASSERT_TRUE(meta.ok());
  EXPECT_GT(meta->parts_count, 1);
  EXPECT_EQ(meta->headers.user_metadata.at("file-permissions"), "0100640");
  {
    Progress progress;
    TransferEngine engine(*store_, options_, progress);
    for (auto& [rel, data] : files) {
      engine.Download({"bkt", "pre/" + rel, (dir_ / "dst" / rel).string()});
    }
    auto summary = engine.Finish();
    ASSERT_EQ(summary.failed, 0u) << summary.errors[0].status.ToString();
  }
  for (auto& [rel, data] : files) {
    EXPECT_EQ(ReadFile(dir_ / "dst" / rel), data) << rel;
    struct stat st;
    ASSERT_EQ(::stat((dir_ / "dst" / rel).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u) << rel;
  }
  struct stat st;
  ASSERT_EQ(::stat((dir_ / "dst/dir/large.bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1'600'000'000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 123456789);
  // Nothing but the destination files: no temp files left behind.
  size_t count = 0;
  for (auto& e : fs::recursive_directory_iterator(dir_ / "dst")) count += e.is_regular_file();
  EXPECT_EQ(count, files.size());
}

// Downloads write in pieces smaller than a range: ranges spanning several pieces, written
// whole (one range) and out of order (parallel ranges), come out byte for byte.
TEST_F(EngineTest, DownloadsOfRangesLargerThanOneWrite) {
  const std::string one_range = RandomBytes(1'000'003, 4);
  const std::string ranges = RandomBytes(3'100'001, 5);
  Write("one", one_range);
  Write("ranges", ranges);
  options_.part_size = 700 * 1024;
  options_.multipart_threshold = 1 << 20;
  {
    Progress progress;
    TransferEngine engine(*store_, options_, progress);
    engine.Upload({(dir_ / "src/one").string(), "bkt", "one"});
    engine.Upload({(dir_ / "src/ranges").string(), "bkt", "ranges"});
    auto summary = engine.Finish();
    ASSERT_EQ(summary.failed, 0u) << summary.errors[0].status.ToString();
  }
  Progress progress;
  TransferEngine engine(*store_, options_, progress);
  engine.Download({"bkt", "one", (dir_ / "dst/one").string()});
  engine.Download({"bkt", "ranges", (dir_ / "dst/ranges").string()});
  auto summary = engine.Finish();
  ASSERT_EQ(summary.failed, 0u) << summary.errors[0].status.ToString();
  EXPECT_EQ(ReadFile(dir_ / "dst/one"), one_range);
  EXPECT_EQ(ReadFile(dir_ / "dst/ranges"), ranges);
  EXPECT_EQ(progress.Snapshot().bytes_done, one_range.size() + ranges.size());
}

TEST_F(EngineTest, FailuresAreReportedAndLeaveNoPartialFiles) {
  Progress progress;
  TransferEngine engine(*store_, options_, progress);
  engine.Download({"bkt", "missing", (dir_ / "dst/missing").string()});
  engine.Download({"nobucket", "k", (dir_ / "dst/k").string()});
  engine.Upload({(dir_ / "src/nonexistent").string(), "bkt", "x"});
  auto summary = engine.Finish();
  EXPECT_EQ(summary.failed, 3u);
  ASSERT_EQ(summary.errors.size(), 3u);
  for (const auto& e : summary.errors) EXPECT_FALSE(e.what.empty());
  EXPECT_FALSE(fs::exists(dir_ / "dst/missing"));
  if (fs::exists(dir_ / "dst")) {
    EXPECT_TRUE(fs::is_empty(dir_ / "dst"));
  }
}

// An upload that replaces an object it examined does not overwrite one changed meanwhile,
// whether it goes in one PUT or in parts.
TEST_F(EngineTest, ReplacingUploadsAreConditionalOnTheExaminedEtag) {
  Write("small", RandomBytes(3000, 1));
  Write("large", RandomBytes(3 * options_.part_size + 17, 2));
  // The failed uploads of one run of the engine.
  auto run = [&](const UploadJob& job) {
    Progress progress;
    TransferEngine engine(*store_, options_, progress);
    engine.Upload(job);
    return engine.Finish().failed;
  };
  for (const std::string name : {"small", "large"}) {
    UploadJob job{(dir_ / "src" / name).string(), "bkt", name};
    ASSERT_EQ(run(job), 0u);
    const std::string examined = store_->HeadObject("bkt", name)->etag;
    // Someone else writes the object after it was examined.
    PutObjectRequest other{.bucket = "bkt", .key = name};
    auto writer = store_->PutObject(other);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(std::span<const char>("theirs", 6)).ok());
    ASSERT_TRUE((*writer)->Commit().ok());
    job.replace_etag = examined;
    EXPECT_EQ(run(job), 1u) << name;
    EXPECT_EQ(store_->HeadObject("bkt", name)->size, 6u) << name;  // theirs, kept
    job.replace_etag = store_->HeadObject("bkt", name)->etag;
    EXPECT_EQ(run(job), 0u) << name;
    EXPECT_GT(store_->HeadObject("bkt", name)->size, 6u) << name;
  }
}

TEST_F(EngineTest, ServerSideCopy) {
  Write("a", RandomBytes(5000, 9));
  Progress progress;
  TransferEngine engine(*store_, options_, progress);
  engine.Upload({(dir_ / "src/a").string(), "bkt", "a"});
  engine.Finish();
  ASSERT_TRUE(store_->CreateBucket("other").ok());
  engine.Copy({"bkt", "a", "other", "b"});
  auto summary = engine.Finish();
  EXPECT_EQ(summary.failed, 0u);
  auto meta = store_->HeadObject("other", "b");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->size, 5000u);
}

}  // namespace
}  // namespace ferry::transfer
