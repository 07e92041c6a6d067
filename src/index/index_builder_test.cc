#include "index/index_builder.h"

#include <gtest/gtest.h>

#include "s3/posix_meta.h"
#include "testing/faulty_store.h"
#include "testing/memory_store.h"
#include "testing/store_test_util.h"

namespace ferry::index {
namespace {

class IndexBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_.CreateBucket("bkt").ok()); }

  void PutFile(const std::string& key, const std::string& body, uint32_t mode) {
    PutObjectRequest req;
    s3::PosixAttributes a;
    a.mode = mode;
    a.uid = 1000;
    a.mtime_ns = 1'600'000'000'000'000'007;
    s3::EncodePosixAttributes(a, req.headers.user_metadata);
    ASSERT_TRUE(testing::Put(store_, "bkt", key, body, req).ok());
  }

  std::unique_ptr<IndexReader> Read(const std::string& bytes) {
    auto r = IndexReader::Open(SourceOfBytes(bytes, "built"));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(*r) : nullptr;
  }

  std::vector<IndexEntry> All(IndexReader& reader) {
    std::vector<IndexEntry> out;
    IndexReader::Iterator it(reader);
    EXPECT_TRUE(it.Seek("").ok());
    for (; it.Valid(); (void)it.Next()) out.push_back(it.entry());
    return out;
  }

  static IndexWriter::Sink Into(std::string& out) {
    return [&out](std::string_view b) {
      out.append(b);
      return Status::OK();
    };
  }

  testing::MemoryStore store_;
};

TEST_F(IndexBuilderTest, BuildReadsEveryObjectWithItsPosixMetadata) {
  for (int i = 0; i < 2500; ++i) PutFile("data/f" + std::to_string(i), "x", 0100600 + i % 8);
  PutFile("data/.ferry-index", "old index", 0100644);
  PutFile("elsewhere", "y", 0100644);
  std::string bytes;
  BuildOptions options;
  options.exclude_key = "data/.ferry-index";
  auto built = BuildIndex(store_, "bkt", "data/", options, Into(bytes));
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ(built->info.entries, 2500u);
  EXPECT_EQ(built->heads, 2500u);
  auto reader = Read(bytes);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->info().bucket, "bkt");
  EXPECT_EQ(reader->info().endpoint, "memory");
  auto entries = All(*reader);
  ASSERT_EQ(entries.size(), 2500u);
  EXPECT_EQ(entries[0].key, "data/f0");
  EXPECT_TRUE(entries[0].metadata_known);
  EXPECT_EQ(entries[0].posix.mode, 0100600u);
  EXPECT_EQ(entries[0].posix.uid, 1000u);
  EXPECT_EQ(entries[0].posix.mtime_ns, 1'600'000'000'000'000'007);
  EXPECT_EQ(entries[0].size, 1u);
  EXPECT_EQ(entries[0].etag, testing::Md5Hex("x"));
  // Without metadata: no HEAD at all.
  std::string quick;
  options.read_metadata = false;
  auto fast = BuildIndex(store_, "bkt", "data/", options, Into(quick));
  ASSERT_TRUE(fast.ok());
  EXPECT_EQ(fast->heads, 0u);
  EXPECT_FALSE(All(*Read(quick))[0].metadata_known);
}

TEST_F(IndexBuilderTest, UpdateHeadsOnlyWhatChanged) {
  for (int i = 0; i < 300; ++i) PutFile("data/f" + std::to_string(1000 + i), "x", 0100644);
  std::string first;
  ASSERT_TRUE(BuildIndex(store_, "bkt", "data/", {}, Into(first)).ok());
  auto old = Read(first);
  PutFile("data/f1005", "changed", 0100600);
  ASSERT_TRUE(store_.DeleteObject("bkt", "data/f1010").ok());
  PutFile("data/f0999", "new", 0100755);
  PutFile("data/f9999", "new", 0100755);
  std::string second;
  auto updated = UpdateIndex(store_, *old, {}, Into(second));
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->heads, 3u);
  EXPECT_EQ(updated->reused, 298u);
  EXPECT_EQ(updated->removed, 1u);
  auto entries = All(*Read(second));
  ASSERT_EQ(entries.size(), 301u);
  EXPECT_EQ(entries.front().key, "data/f0999");
  EXPECT_EQ(entries.front().posix.mode, 0100755u);
  auto f1005 = std::find_if(entries.begin(), entries.end(),
                            [](const IndexEntry& e) { return e.key == "data/f1005"; });
  EXPECT_EQ(f1005->posix.mode, 0100600u);
  EXPECT_EQ(f1005->size, 7u);
  EXPECT_TRUE(std::none_of(entries.begin(), entries.end(),
                           [](const IndexEntry& e) { return e.key == "data/f1010"; }));
}

TEST_F(IndexBuilderTest, UpdateFromASyncReport) {
  for (int i = 0; i < 10; ++i) PutFile("data/f" + std::to_string(i), "x", 0100644);
  std::string first;
  ASSERT_TRUE(BuildIndex(store_, "bkt", "data/", {}, Into(first)).ok());
  auto old = Read(first);
  PutFile("data/sub/new", "new", 0100600);
  PutFile("data/f3", "changed", 0100600);
  ASSERT_TRUE(store_.DeleteObject("bkt", "data/f4").ok());
  PutFile("data/unreported", "z", 0100600);  // written by someone else: not in the report
  const std::string report = R"({
    "summary": {"source": "/src", "destination": "s3://bkt/data/"},
    "entries": [
      {"path": "sub/new", "status": "transferred"},
      {"path": "f3", "status": "updated"},
      {"path": "f4", "status": "deleted"},
      {"path": "f5", "status": "skipped"},
      {"path": "gone", "status": "transferred"}
    ]})";
  std::string second;
  auto updated = UpdateIndexFromReport(store_, *old, report, {}, Into(second));
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->heads, 3u);
  EXPECT_EQ(updated->vanished, 1u);  // "gone" was never written
  EXPECT_EQ(updated->removed, 1u);
  auto reader = Read(second);
  EXPECT_EQ(reader->info().built_at_ns, old->info().built_at_ns);
  std::vector<std::string> keys;
  for (auto& e : All(*reader)) keys.push_back(e.key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"data/f0", "data/f1", "data/f2", "data/f3", "data/f5",
                                      "data/f6", "data/f7", "data/f8", "data/f9", "data/sub/new"}));
  // A report of another destination is refused.
  std::string third;
  auto wrong = UpdateIndexFromReport(
      store_, *old, R"({"summary": {"destination": "s3://bkt/other/"}, "entries": []})", {},
      Into(third));
  EXPECT_EQ(wrong.status().code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(UpdateIndexFromReport(store_, *old, "not json", {}, Into(third)).ok());
}

TEST_F(IndexBuilderTest, AFailingHeadFailsTheBuild) {
  for (int i = 0; i < 20; ++i) PutFile("data/f" + std::to_string(i), "x", 0100644);
  testing::FaultyStore faulty(store_);
  faulty.Add({.call = testing::StoreCall::kHeadObject,
              .key_prefix = "data/f7",
              .error = Status::Unavailable("injected")});
  std::string bytes;
  auto built = BuildIndex(faulty, "bkt", "data/", {}, Into(bytes));
  ASSERT_FALSE(built.ok());
  EXPECT_NE(built.status().message().find("s3://bkt/data/f7"), std::string::npos);
}

}  // namespace
}  // namespace ferry::index
