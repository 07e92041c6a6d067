#include "fs/directory_listing.h"

#include <gtest/gtest.h>

#include "testing/store_test_util.h"

namespace ferry::fs {
namespace {

ObjectMeta Object(std::string key, uint64_t size) {
  ObjectMeta m;
  m.key = std::move(key);
  m.size = size;
  m.etag = "e";
  return m;
}

std::vector<std::string> Names(const std::vector<DirectoryEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.name + (e.is_directory ? "/" : ""));
  return out;
}

TEST(DirectoryEntries, FilesDirectoriesAndConflicts) {
  ListObjectsPage page;
  page.objects = {Object("data/", 0),   // the directory's own marker
                  Object("data/a", 3),  // shadowed by the directory a/
                  Object("data/b.txt", 5), Object("data/..", 1), Object("data/.", 1)};
  page.common_prefixes = {"data/a/", "data/c/", "data//"};
  auto entries = DirectoryEntries("data/", {page});
  EXPECT_EQ(Names(entries), (std::vector<std::string>{"a/", "b.txt", "c/"}));
  EXPECT_EQ(entries[1].size, 5u);
  // The conflict resolves the same way whichever page brings which name first.
  ListObjectsPage first, second;
  first.objects = {Object("a", 1)};
  second.common_prefixes = {"a/"};
  EXPECT_EQ(Names(DirectoryEntries("", {first, second})), (std::vector<std::string>{"a/"}));
  EXPECT_EQ(Names(DirectoryEntries("", {second, first})), (std::vector<std::string>{"a/"}));
}

TEST(DirectoryEntries, ListsAStoreAcrossPages) {
  ferry::testing::StoreFixture fixture;
  for (int i = 0; i < 1500; ++i) {
    ASSERT_TRUE(
        ferry::testing::Put(*fixture.store, "bkt", "big/f" + std::to_string(10000 + i), "x").ok());
  }
  ASSERT_TRUE(ferry::testing::Put(*fixture.store, "bkt", "big/sub/deeper/g", "yy").ok());
  ASSERT_TRUE(ferry::testing::Put(*fixture.store, "bkt", "top", "zzz").ok());
  auto big = ListDirectory(*fixture.store, "bkt", "big/");
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  ASSERT_EQ(big->size(), 1501u);
  EXPECT_EQ(big->front().name, "f10000");
  EXPECT_TRUE(big->back().is_directory);
  EXPECT_EQ(big->back().name, "sub");
  auto root = ListDirectory(*fixture.store, "bkt", "");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(Names(*root), (std::vector<std::string>{"big/", "top"}));
  EXPECT_EQ((*root)[1].size, 3u);
}

DirectoryEntry File(const std::string& name, const std::string& etag) {
  DirectoryEntry e;
  e.name = name;
  e.etag = etag;
  e.size = etag.size();
  return e;
}

TEST(MergeListing, TakesInWhatThePolicyAllows) {
  const std::vector<DirectoryEntry> held = {File("a", "1"), File("b", "1"), File("c", "1")};
  const std::vector<DirectoryEntry> fresh = {File("b", "22"), File("c", "1"), File("d", "1")};
  std::vector<std::string> differing;
  auto all = MergeListing(held, fresh, ImportPolicy::All(), &differing);
  EXPECT_EQ(all, fresh);
  EXPECT_EQ(differing, (std::vector<std::string>{"a", "b", "d"}));

  differing.clear();
  auto only_new = MergeListing(held, fresh, {true, false, false}, &differing);
  EXPECT_EQ(only_new, (std::vector<DirectoryEntry>{File("a", "1"), File("b", "1"), File("c", "1"),
                                                   File("d", "1")}));
  EXPECT_EQ(differing, (std::vector<std::string>{"d"}));

  differing.clear();
  auto changed_deleted = MergeListing(held, fresh, {false, true, true}, &differing);
  EXPECT_EQ(changed_deleted, (std::vector<DirectoryEntry>{File("b", "22"), File("c", "1")}));
  EXPECT_EQ(differing, (std::vector<std::string>{"a", "b"}));
}

TEST(ImportPolicy, Parses) {
  auto p = ImportPolicy::Parse("deleted,new");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->new_names);
  EXPECT_FALSE(p->changed);
  EXPECT_TRUE(p->deleted);
  auto none = ImportPolicy::Parse("none");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->any());
  EXPECT_FALSE(ImportPolicy::Parse("new,updated").ok());
  EXPECT_FALSE(ImportPolicy::Parse("").ok());
}

}  // namespace
}  // namespace ferry::fs
