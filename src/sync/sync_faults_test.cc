// sync when the store fails: a listing that fails is never an empty source, a failed
// transfer withholds --delete, and a failed download keeps the local file. Over MemoryStore
// wrapped in a FaultyStore.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "s3/errors.h"
#include "sync/syncer.h"
#include "testing/faulty_store.h"
#include "testing/memory_store.h"
#include "testing/store_test_util.h"

namespace ferry::sync {
namespace {

namespace fs = std::filesystem;
using ferry::testing::StoreCall;

std::string ReadFile(const fs::path& p) {
  return ferry::testing::ReadFile(p.string());
}

class SyncFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(memory_.CreateBucket("bkt").ok());
    local_ = fs::path(dir_.path()) / "local";
    fs::create_directories(local_);
    options_.transfer.transfers = 2;
    options_.state_dir.clear();
  }

  void Write(const std::string& rel, const std::string& body) {
    fs::create_directories((local_ / rel).parent_path());
    std::ofstream(local_ / rel, std::ios::binary) << body;
  }

  SyncLocation Bucket(const std::string& prefix) { return {true, "bkt", prefix, ""}; }
  SyncLocation Local() { return {false, "", "", local_.string()}; }

  Result<SyncResult> Sync(const SyncLocation& src, const SyncLocation& dst) {
    transfer::Progress progress;
    return RunSync(store_, store_, src, dst, options_, progress);
  }

  ferry::testing::MemoryStore memory_;
  ferry::testing::FaultyStore store_{memory_};
  ferry::testing::TempDir dir_;
  fs::path local_;
  SyncOptions options_;
};

TEST_F(SyncFaults, AListingThatFailsIsNeverAnEmptySource) {
  Write("keep/a.txt", "a");
  Write("keep/b.txt", "b");
  for (int i = 0; i < 1500; ++i) {  // two pages
    ASSERT_TRUE(ferry::testing::Put(memory_, "bkt", "data/f" + std::to_string(i), "x").ok());
  }
  options_.delete_extra = true;
  // At once, and on a later page (a truncated listing must not pass for a whole one).
  store_.Add({.call = StoreCall::kListObjects, .error = s3err::InternalError("500"), .times = 1});
  auto failed = Sync(Bucket("data/"), Local());
  EXPECT_FALSE(failed.ok() && failed->failed == 0);
  EXPECT_TRUE(fs::exists(local_ / "keep/a.txt"));
  store_.Clear();
  store_.Add({.call = StoreCall::kListObjects, .error = Status::Unavailable("reset"), .skip = 1});
  failed = Sync(Bucket("data/"), Local());
  EXPECT_FALSE(failed.ok() && failed->failed == 0);
  EXPECT_TRUE(fs::exists(local_ / "keep/a.txt"));
  EXPECT_TRUE(fs::exists(local_ / "keep/b.txt"));
}

TEST_F(SyncFaults, AFailedUploadWithholdsTheDeletions) {
  Write("a.txt", "a");
  Write("b.txt", "b");
  ASSERT_TRUE(ferry::testing::Put(memory_, "bkt", "dst/extra.txt", "extra").ok());
  options_.delete_extra = true;
  store_.Add({.call = StoreCall::kCommit,
              .key_prefix = "dst/b.txt",
              .error = Status::Unavailable("connection reset")});
  auto result = Sync(Local(), Bucket("dst/"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->failed, 1u);
  EXPECT_TRUE(result->deletions_withheld);
  EXPECT_EQ(result->deleted, 0u);
  EXPECT_TRUE(memory_.HeadObject("bkt", "dst/extra.txt").ok());
  EXPECT_TRUE(memory_.HeadObject("bkt", "dst/a.txt").ok());
  // The store well again, the next run finishes the job, deletions included.
  store_.Clear();
  result = Sync(Local(), Bucket("dst/"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->failed, 0u);
  EXPECT_EQ(result->deleted, 1u);
  EXPECT_EQ(memory_.HeadObject("bkt", "dst/extra.txt").status().s3_code(), "NoSuchKey");
}

TEST_F(SyncFaults, AFailedDownloadKeepsTheLocalFile) {
  Write("f.txt", "the old local bytes");
  ASSERT_TRUE(
      ferry::testing::Put(memory_, "bkt", "src/f.txt", "the new bytes from the bucket").ok());
  store_.Add({.call = StoreCall::kRead, .error = s3err::InternalError("500")});
  auto result = Sync(Bucket("src/"), Local());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->failed, 1u);
  EXPECT_EQ(ReadFile(local_ / "f.txt"), "the old local bytes");
  store_.Clear();
  result = Sync(Bucket("src/"), Local());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(ReadFile(local_ / "f.txt"), "the new bytes from the bucket");
}

}  // namespace
}  // namespace ferry::sync
