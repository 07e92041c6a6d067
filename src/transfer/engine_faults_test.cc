// The transfer engine when the store fails: a failed download leaves the destination as it
// was, a failed upload leaves no object, short reads still give exact files. Over MemoryStore
// wrapped in a FaultyStore.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "s3/errors.h"
#include "testing/faulty_store.h"
#include "testing/memory_store.h"
#include "testing/store_test_util.h"
#include "transfer/engine.h"

namespace ferry::transfer {
namespace {

namespace fs = std::filesystem;
using ferry::testing::StoreCall;

std::string ReadFile(const fs::path& p) {
  return ferry::testing::ReadFile(p.string());
}

class EngineFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(memory_.CreateBucket("bkt").ok());
    options_.transfers = 4;
    options_.part_size = 64 * 1024;
    options_.multipart_threshold = 100 * 1024;
  }

  TransferSummary Run(const std::function<void(TransferEngine&)>& jobs) {
    Progress progress;
    TransferEngine engine(store_, options_, progress);
    jobs(engine);
    return engine.Finish();
  }

  size_t FilesIn(const fs::path& dir) {
    size_t n = 0;
    for (auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file();
    return n;
  }

  ferry::testing::MemoryStore memory_{nullptr, 64 * 1024};
  ferry::testing::FaultyStore store_{memory_};
  ferry::testing::TempDir dir_;
  TransferOptions options_;
};

TEST_F(EngineFaults, AFailedDownloadLeavesTheDestinationAsItWas) {
  const std::string body = ferry::testing::Bytes(1'000'000, 1);
  ASSERT_TRUE(ferry::testing::Put(memory_, "bkt", "big", body).ok());
  ASSERT_TRUE(ferry::testing::Put(memory_, "bkt", "small", "small body").ok());
  const fs::path dst = fs::path(dir_.path()) / "dst";
  fs::create_directories(dst);
  std::ofstream(dst / "big") << "the user's file";
  // The fourth range read fails: most of the file has arrived by then.
  store_.Add({.call = StoreCall::kRead,
              .key_prefix = "big",
              .error = s3err::InternalError("We encountered an internal error."),
              .skip = 3});
  store_.Add({.call = StoreCall::kOpenObject,
              .key_prefix = "small",
              .error = Status::Unavailable("connection reset")});
  auto summary = Run([&](TransferEngine& e) {
    e.Download({"bkt", "big", (dst / "big").string()});
    e.Download({"bkt", "small", (dst / "small").string()});
  });
  EXPECT_EQ(summary.failed, 2u);
  EXPECT_EQ(ReadFile(dst / "big"), "the user's file");
  EXPECT_FALSE(fs::exists(dst / "small"));
  EXPECT_EQ(FilesIn(dst), 1u) << "no partial or temporary file left";
}

TEST_F(EngineFaults, ShortReadsGiveExactFiles) {
  const std::string body = ferry::testing::Bytes(700'001, 2);
  ASSERT_TRUE(ferry::testing::Put(memory_, "bkt", "k", body).ok());
  store_.Add({.call = StoreCall::kRead, .short_read = 4093});
  const fs::path dst = fs::path(dir_.path()) / "out";
  auto summary = Run([&](TransferEngine& e) { e.Download({"bkt", "k", dst.string()}); });
  ASSERT_EQ(summary.failed, 0u) << summary.errors[0].status.ToString();
  EXPECT_EQ(ReadFile(dst), body);
}

TEST_F(EngineFaults, AFailedUploadLeavesNoObject) {
  const fs::path src = fs::path(dir_.path()) / "src";
  fs::create_directories(src);
  std::ofstream(src / "multi", std::ios::binary) << ferry::testing::Bytes(500'000, 3);
  std::ofstream(src / "single", std::ios::binary) << ferry::testing::Bytes(50'000, 4);
  store_.Add({.call = StoreCall::kCompleteMultipart,
              .error = s3err::InternalError("We encountered an internal error.")});
  store_.Add({.call = StoreCall::kCommit,
              .key_prefix = "single",
              .error = Status::Unavailable("connection reset")});
  auto summary = Run([&](TransferEngine& e) {
    e.Upload({(src / "multi").string(), "bkt", "multi"});
    e.Upload({(src / "single").string(), "bkt", "single"});
  });
  EXPECT_EQ(summary.failed, 2u);
  EXPECT_EQ(memory_.HeadObject("bkt", "multi").status().s3_code(), "NoSuchKey");
  EXPECT_EQ(memory_.HeadObject("bkt", "single").status().s3_code(), "NoSuchKey");
  // And once the store is well again, the same upload goes through.
  store_.Clear();
  summary = Run([&](TransferEngine& e) { e.Upload({(src / "multi").string(), "bkt", "multi"}); });
  ASSERT_EQ(summary.failed, 0u) << summary.errors[0].status.ToString();
  EXPECT_EQ(memory_.HeadObject("bkt", "multi")->size, 500'000u);
}

}  // namespace
}  // namespace ferry::transfer
