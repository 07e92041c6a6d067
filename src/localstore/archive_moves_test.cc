#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "localstore/archive_mover.h"
#include "localstore/archive_tier.h"
#include "testing/store_test_util.h"

namespace ferry {
namespace {

using testing::Bytes;
using testing::Put;
using testing::ReadAll;
using testing::StoreFixture;
using testing::TempDir;

size_t FilesUnder(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    n += e.is_regular_file();
  }
  return n;
}

struct ArchiveFixture {
  TempDir cold;
  std::unique_ptr<local::ArchiveTier> tier = local::NewDirectoryArchive(cold.path(), false);
  StoreFixture f{[this] {
    LocalStoreOptions o = testing::FastOptions();
    o.archive = tier.get();
    return o;
  }()};
};

PutObjectRequest Glacier() {
  PutObjectRequest req;
  req.headers.storage_class = "GLACIER";
  return req;
}

TEST(ArchiveMoves, ArchivedBytesMoveToTheTierAndAreReadFromThere) {
  ArchiveFixture a;
  LocalStore& s = *a.f.store;
  const std::string large = Bytes(300 << 10, 1), small = "tiny";
  ASSERT_TRUE(Put(s, "bkt", "large", large, Glacier()).ok());
  ASSERT_TRUE(Put(s, "bkt", "small", small, Glacier()).ok());
  ASSERT_TRUE(Put(s, "bkt", "hot", "stays").ok());
  auto pending = s.PendingArchiveMoves("bkt", "", 100);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  local::ArchiveMover mover(s, 1'000'000'000);
  auto pass = mover.RunPass();
  ASSERT_TRUE(pass.ok()) << pass.status().ToString();
  EXPECT_EQ(pass->moved, 2u);
  EXPECT_TRUE(s.PendingArchiveMoves("bkt", "", 100)->empty());
  EXPECT_EQ(FilesUnder(a.cold.path()), 2u);
  EXPECT_EQ(*ReadAll(s, "bkt", "large"), large);
  EXPECT_EQ(*ReadAll(s, "bkt", "small"), small);
  // The local blob went: only the index and packs remain for "hot".
  EXPECT_TRUE(testing::BlobInconsistencies(a.f.dir.path() + "/root/bkt").empty());
  ASSERT_TRUE(s.DeleteObject("bkt", "large").ok());
  EXPECT_EQ(FilesUnder(a.cold.path()), 1u);
}

TEST(ArchiveMoves, AVersionChangedMeanwhileIsNotMoved) {
  ArchiveFixture a;
  LocalStore& s = *a.f.store;
  ASSERT_TRUE(Put(s, "bkt", "k", "one", Glacier()).ok());
  auto pending = s.PendingArchiveMoves("bkt", "", 100);
  ASSERT_TRUE(pending.ok() && pending->size() == 1);
  ASSERT_TRUE(Put(s, "bkt", "k", "two").ok());  // replaced, now STANDARD
  auto moved = s.MoveToArchive("bkt", pending->front());
  ASSERT_TRUE(moved.ok());
  EXPECT_FALSE(*moved);
  EXPECT_EQ(FilesUnder(a.cold.path()), 0u);
  EXPECT_EQ(*ReadAll(s, "bkt", "k"), "two");
}

TEST(ArchiveMoves, AnUnavailableTierLeavesTheBytesWhereTheyAre) {
  ArchiveFixture a;
  LocalStore& s = *a.f.store;
  ASSERT_TRUE(Put(s, "bkt", "k", "payload", Glacier()).ok());
  ::chmod(a.cold.path().c_str(), 0);  // (root ignores modes: also take the directory away)
  std::filesystem::rename(a.cold.path(), a.cold.path() + ".gone");
  local::ArchiveMover mover(s, 1'000'000'000);
  EXPECT_FALSE(mover.RunPass().ok());
  EXPECT_EQ(s.PendingArchiveMoves("bkt", "", 100)->size(), 1u);
  EXPECT_EQ(*ReadAll(s, "bkt", "k"), "payload");
  std::filesystem::rename(a.cold.path() + ".gone", a.cold.path());
  ::chmod(a.cold.path().c_str(), 0700);
  EXPECT_EQ(mover.RunPass()->moved, 1u);
  EXPECT_EQ(*ReadAll(s, "bkt", "k"), "payload");
}

}  // namespace
}  // namespace ferry
