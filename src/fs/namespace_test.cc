#include "fs/namespace.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "fs/read_path_fixture.h"
#include "index/index_builder.h"
#include "testing/faulty_store.h"

namespace ferry::fs {
namespace {

class NamespaceTest : public ReadPathFixture {
 protected:
  void Put(const std::string& key, const std::string& body,
           std::map<std::string, std::string> meta = {}) {
    PutObjectRequest req;
    req.headers.user_metadata = std::move(meta);
    ASSERT_TRUE(ferry::testing::Put(*fixture_.store, "bkt", key, body, req).ok());
  }
  std::unique_ptr<Namespace> Make(ImportPolicy import = ImportPolicy::All()) {
    NamespaceOptions o = Options();
    o.import = import;
    o.uid = 1000;
    o.gid = 1000;
    o.clock = &clock_;
    return std::make_unique<Namespace>(*fixture_.store, o);
  }

  NamespaceOptions Options() const {
    NamespaceOptions o;
    o.bucket = "bkt";
    o.prefix = "p/";
    return o;
  }
  ManualClock clock_{int64_t{1'800'000'000} * 1'000'000'000};
};

TEST_F(NamespaceTest, LookupReadDirectoryAndAttributes) {
  Put("p/a.txt", "hello",
      {{"file-permissions", "0100600"},
       {"file-mtime", "1700000000123456789ns"},
       {"file-owner", "42"}});
  Put("p/plain.bin", "1234567");  // written by a tool that keeps no POSIX metadata
  Put("p/dir/x", "x");
  Put("p/link", "a.txt", {{"file-permissions", "0120777"}});
  Put("elsewhere", "not in the mount");
  auto ns = Make();
  auto children = ns->ReadDirectory(Namespace::kRootIno);
  ASSERT_TRUE(children.ok()) << children.status().ToString();
  ASSERT_EQ(children->size(), 4u);
  EXPECT_EQ((*children)[0].name, "a.txt");
  EXPECT_EQ((*children)[1].name, "dir");
  EXPECT_TRUE((*children)[1].is_directory);

  auto a = ns->Lookup(Namespace::kRootIno, "a.txt");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->ino, (*children)[0].ino) << "one inode per name";
  EXPECT_EQ(a->mode, S_IFREG | 0600);
  EXPECT_EQ(a->uid, 42u);
  EXPECT_EQ(a->gid, 1000u);
  EXPECT_EQ(a->size, 5u);
  EXPECT_EQ(a->mtime_ns, 1700000000123456789);
  EXPECT_EQ(a->object.key, "p/a.txt");

  auto plain = ns->Lookup(Namespace::kRootIno, "plain.bin");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->mode, S_IFREG | 0644);
  EXPECT_EQ(plain->uid, 1000u);
  EXPECT_GT(plain->mtime_ns, 0) << "Last-Modified stands in for the mtime";

  auto link = ns->Lookup(Namespace::kRootIno, "link");
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(link->mode, S_IFLNK | 0777);

  auto dir = ns->Lookup(Namespace::kRootIno, "dir");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->mode, S_IFDIR | 0755);
  auto x = ns->Lookup(dir->ino, "x");
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->object.key, "p/dir/x");
  EXPECT_EQ(ns->Lookup(Namespace::kRootIno, "elsewhere").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(ns->Lookup(Namespace::kRootIno, "missing").status().code(), Status::Code::kNotFound);
}

TEST_F(NamespaceTest, ListedChildrenAreReferencedWithTheAttributesKnownNow) {
  Put("p/a.txt", "hello", {{"file-permissions", "0100600"}, {"file-owner", "42"}});
  Put("p/dir/x", "x");
  auto ns = Make();
  auto children = ns->ReadDirectory(Namespace::kRootIno);
  ASSERT_TRUE(children.ok()) << children.status().ToString();
  ASSERT_EQ(children->size(), 2u);
  const uint64_t file = (*children)[0].ino;
  const uint64_t dir = (*children)[1].ino;

  // Not read yet: the listing's size and the mount's defaults, not exact.
  auto listed = ns->ReferenceListed(file);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_FALSE(listed->exact);
  EXPECT_EQ(listed->attributes.mode, S_IFREG | 0644);
  EXPECT_EQ(listed->attributes.uid, 1000u);
  EXPECT_EQ(listed->attributes.size, 5u);
  auto d = ns->ReferenceListed(dir);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->exact) << "a directory's attributes are the mount's";
  EXPECT_EQ(d->attributes.mode, S_IFDIR | 0755);

  // Once read, they are what a second listing gives.
  auto read = ns->GetAttributes(file);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->mode, S_IFREG | 0600);
  auto again = ns->ReferenceListed(file);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->exact);
  EXPECT_EQ(again->attributes.mode, S_IFREG | 0600);
  EXPECT_EQ(again->attributes.uid, 42u);
  EXPECT_EQ(again->attributes.ino, file);

  // Each counted one reference, as the kernel counts the lookups of a readdirplus.
  EXPECT_FALSE(ns->Forget(file, 1));
  EXPECT_TRUE(ns->Forget(file, 1));
  EXPECT_FALSE(ns->GetAttributes(file).ok());
  EXPECT_FALSE(ns->ReferenceListed(file).ok());
  EXPECT_TRUE(ns->Forget(dir, 1));
}

TEST_F(NamespaceTest, AnObjectTooLargeForASymlinkTargetIsAFile) {
  Put("p/link", "a.txt", {{"file-permissions", "0120777"}});
  Put("p/huge", std::string(Namespace::kMaxSymlinkTarget + 1, 'x'),
      {{"file-permissions", "0120777"}});
  auto ns = Make();
  auto link = ns->Lookup(Namespace::kRootIno, "link");
  ASSERT_TRUE(link.ok()) << link.status().ToString();
  EXPECT_EQ(link->mode, S_IFLNK | 0777);
  auto huge = ns->Lookup(Namespace::kRootIno, "huge");
  ASSERT_TRUE(huge.ok()) << huge.status().ToString();
  EXPECT_EQ(huge->mode, S_IFREG | 0777);
}

TEST_F(NamespaceTest, ChangesShowAfterTheTtlAndInodesStay) {
  Put("p/f", "one");
  auto ns = Make();
  auto first = ns->Lookup(Namespace::kRootIno, "f");
  ASSERT_TRUE(first.ok());
  Put("p/f", "three");
  Put("p/g", "new");
  // Within the TTL the cached view holds.
  EXPECT_EQ(ns->Lookup(Namespace::kRootIno, "g").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(ns->GetAttributes(first->ino)->size, 3u);
  clock_.Advance(int64_t{61} * 1'000'000'000);
  auto again = ns->Lookup(Namespace::kRootIno, "f");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ino, first->ino);
  EXPECT_EQ(again->size, 5u);
  EXPECT_NE(again->object.etag, first->object.etag);
  EXPECT_TRUE(ns->Lookup(Namespace::kRootIno, "g").ok());
  ns->Forget(first->ino, 2);
  EXPECT_EQ(ns->GetAttributes(first->ino).status().code(), Status::Code::kNotFound);
}

TEST_F(NamespaceTest, WithoutImportOnlyRefreshTakesChangesIn) {
  Put("p/d/f", "one");
  Put("p/d/old", "x");
  auto ns = Make(*ImportPolicy::Parse("none"));
  std::vector<Namespace::Change> told;
  ns->SetChangeListener([&](const Namespace::Change& c) { told.push_back(c); });
  auto d = ns->Lookup(Namespace::kRootIno, "d");
  ASSERT_TRUE(d.ok());
  auto f = ns->Lookup(d->ino, "f");
  ASSERT_TRUE(f.ok());
  Put("p/d/f", "three", {{"file-permissions", "0100600"}});
  Put("p/d/g", "new");
  ASSERT_TRUE(fixture_.store->DeleteObject("bkt", "p/d/old").ok());
  clock_.Advance(int64_t{3600} * 1'000'000'000);
  // Long past the TTL, the mount still shows what it first listed.
  EXPECT_EQ(ns->Lookup(d->ino, "g").status().code(), Status::Code::kNotFound);
  auto listed = ns->ReadDirectory(d->ino);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].name, "old");
  ASSERT_TRUE(ns->Locate("d/f").ok());
  EXPECT_EQ(ns->Locate("d/f")->size, 3u);

  auto changed = ns->Refresh("d", /*recursive=*/false);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(*changed, 3u);
  ASSERT_EQ(told.size(), 3u);
  EXPECT_EQ(told[0].name, "f");
  EXPECT_EQ(told[0].parent, d->ino);
  EXPECT_EQ(told[0].ino, f->ino);
  EXPECT_EQ(told[1].name, "g");
  EXPECT_EQ(told[1].ino, 0u) << "never looked up";
  EXPECT_EQ(told[2].name, "old");
  auto again = ns->Lookup(d->ino, "f");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size, 5u);
  EXPECT_EQ(again->mode, S_IFREG | 0600);
  EXPECT_TRUE(ns->Lookup(d->ino, "g").ok());
  EXPECT_EQ(ns->Lookup(d->ino, "old").status().code(), Status::Code::kNotFound);
}

TEST_F(NamespaceTest, RefreshOfAFileAndRecursiveRefresh) {
  Put("p/a/b/f", "one");
  Put("p/a/g", "one");
  auto ns = Make(*ImportPolicy::Parse("none"));
  ASSERT_TRUE(ns->Locate("a/b/f").ok());
  ASSERT_TRUE(ns->Locate("a/g").ok());
  EXPECT_EQ(ns->Locate("a/b").status().code(), Status::Code::kNotFound) << "a directory";
  Put("p/a/b/f", "longer");
  Put("p/a/g", "longer");
  // A file's refresh lists its directory again.
  ASSERT_TRUE(ns->Refresh("a/g", false).ok());
  EXPECT_EQ(ns->Locate("a/g")->size, 6u);
  EXPECT_EQ(ns->Locate("a/b/f")->size, 3u);
  auto changed = ns->Refresh("", /*recursive=*/true);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 1u);
  EXPECT_EQ(ns->Locate("a/b/f")->size, 6u);
  EXPECT_EQ(ns->Refresh("nope", false).status().code(), Status::Code::kNotFound);
}

TEST_F(NamespaceTest, SmallFilesAreReadWholeInsteadOfAHead) {
  Put("p/small", "tiny body", {{"file-permissions", "0100640"}});
  Put("p/large", std::string(200 << 10, 'x'), {{"file-permissions", "0100600"}});
  BlockReader reader(*fixture_.store, *cache_, 64 << 10);
  NamespaceOptions o = Options();
  o.small_file_reader = &reader;
  Namespace ns(*fixture_.store, o);
  auto small = ns.Lookup(Namespace::kRootIno, "small");
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_EQ(small->mode, S_IFREG | 0640) << "metadata from the GET";
  EXPECT_TRUE(reader.Cached(small->object, 0));
  EXPECT_EQ(reader.stats().fetches, 1u);
  std::string out(9, '\0');
  ASSERT_TRUE(reader.Read(small->object, 0, std::span<char>(out)).ok());
  EXPECT_EQ(out, "tiny body");
  EXPECT_EQ(reader.stats().fetches, 1u) << "the read found the block cached";
  auto large = ns.Lookup(Namespace::kRootIno, "large");
  ASSERT_TRUE(large.ok());
  EXPECT_EQ(large->mode, S_IFREG | 0600);
  EXPECT_FALSE(reader.Cached(large->object, 0)) << "larger than a block: a HEAD";
}

TEST_F(NamespaceTest, SavedMetadataAnswersARemountWithoutARequest) {
  Put("p/f", "body5", {{"file-permissions", "0100600"}});
  AttributeCache saved(*cache_);
  NamespaceOptions o = Options();
  o.attribute_cache = &saved;
  {
    Namespace ns(*fixture_.store, o);
    auto f = ns.Lookup(Namespace::kRootIno, "f");
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_EQ(f->mode, S_IFREG | 0600);
  }
  auto head = fixture_.store->HeadObject("bkt", "p/f");
  ASSERT_TRUE(head.ok());
  const ObjectVersion version{"bkt", "p/f", head->etag, head->size};
  auto entry = saved.Load(version, head->last_modified_ns);
  ASSERT_TRUE(entry) << "saved for the listed version";
  // An entry that differs from the store shows where the next mount's answer comes from.
  entry->headers.user_metadata["file-permissions"] = "0100604";
  cache_->Release("bkt/p/f");  // entries are never overwritten
  saved.Save(version, head->last_modified_ns, *entry);
  {
    Namespace ns(*fixture_.store, o);
    auto f = ns.Lookup(Namespace::kRootIno, "f");
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->mode, S_IFREG | 0604) << "from the saved entry, not a HEAD";
  }
  // Written again (same bytes, same ETag, a new Last-Modified): the entry no longer answers.
  Put("p/f", "body5", {{"file-permissions", "0100600"}});
  Namespace ns(*fixture_.store, o);
  auto f = ns.Lookup(Namespace::kRootIno, "f");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->mode, S_IFREG | 0600);
}

TEST_F(NamespaceTest, OnlyPathsShowsAShard) {
  Put("p/a/x", "1");
  Put("p/a/y", "2");
  Put("p/b/z", "3");
  Put("p/top", "4");
  NamespaceOptions o = Options();
  o.only_paths = std::make_shared<const std::unordered_set<std::string>>(
      std::unordered_set<std::string>{"a/y", "top"});
  Namespace ns(*fixture_.store, o);
  auto root = ns.ReadDirectory(Namespace::kRootIno);
  ASSERT_TRUE(root.ok());
  ASSERT_EQ(root->size(), 2u);
  EXPECT_EQ((*root)[0].name, "a");
  EXPECT_EQ((*root)[1].name, "top");
  EXPECT_TRUE(ns.Locate("a/y").ok());
  EXPECT_EQ(ns.Locate("a/x").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(ns.Locate("b/z").status().code(), Status::Code::kNotFound);
}

TEST_F(NamespaceTest, StartsFromAnIndexWithoutListingOrHeads) {
  Put("p/a.txt", "hello", {{"file-permissions", "0100600"}, {"file-owner", "42"}});
  for (int i = 0; i < 30; ++i) Put("p/dir/f" + std::to_string(10 + i), "x");
  Put("p/zz0", "the index's last key");
  std::string bytes;
  index::BuildOptions build;
  ASSERT_TRUE(index::BuildIndex(*fixture_.store, "bkt", "p/", build, [&](std::string_view b) {
                bytes.append(b);
                return Status::OK();
              }).ok());
  auto reader = index::IndexReader::Open(index::SourceOfBytes(bytes, "idx"));
  ASSERT_TRUE(reader.ok());
  // Changed after the index: a deletion and an addition inside its range, one past its end.
  ASSERT_TRUE(fixture_.store->DeleteObject("bkt", "p/dir/f15").ok());
  Put("p/dir/f15b", "new");
  Put("p/zzz", "after the index");
  ferry::testing::FaultyStore counted(*fixture_.store);
  index::IndexedStore indexed(std::shared_ptr<index::IndexReader>(std::move(*reader)), counted);
  NamespaceOptions o = Options();
  o.indexed = &indexed;
  o.clock = &clock_;
  Namespace ns(counted, o);
  auto root = ns.ReadDirectory(Namespace::kRootIno);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  ASSERT_EQ(root->size(), 4u);  // a.txt, dir, zz0, zzz (listed after the index's last key)
  EXPECT_EQ((*root)[3].name, "zzz");
  auto a = ns.Lookup(Namespace::kRootIno, "a.txt");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->mode, S_IFREG | 0600);
  EXPECT_EQ(a->uid, 42u);
  auto dir = ns.Lookup(Namespace::kRootIno, "dir");
  ASSERT_TRUE(dir.ok());
  auto files = ns.ReadDirectory(dir->ino);
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 30u);  // as the index shows it
  EXPECT_TRUE(ns.Lookup(dir->ino, "f15").ok());
  EXPECT_FALSE(ns.Lookup(dir->ino, "f15b").ok());
  // One listing (the root's reaches past the index's last key; dir/'s does not), and no
  // HEAD for attributes the index holds.
  EXPECT_EQ(counted.calls(ferry::testing::StoreCall::kListObjects), 1);
  EXPECT_EQ(counted.calls(ferry::testing::StoreCall::kHeadObject), 0);
  // A refresh lists the bucket.
  ASSERT_TRUE(ns.Refresh("dir/", false).ok());
  files = ns.ReadDirectory(dir->ino);
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 30u);
  EXPECT_FALSE(ns.Lookup(dir->ino, "f15").ok());
  EXPECT_TRUE(ns.Lookup(dir->ino, "f15b").ok());
}

TEST_F(NamespaceTest, AnIndexThatCannotBeReadCostsListingsNotTheMount) {
  for (int i = 0; i < 200; ++i) Put("p/f" + std::to_string(1000 + i), "x");
  std::string bytes;
  auto built = index::BuildIndex(*fixture_.store, "bkt", "p/", {}, [&](std::string_view b) {
    bytes.append(b);
    return Status::OK();
  });
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  bytes[index::kHeaderSize + 10] ^= 0x40;  // inside the first block
  auto reader = index::IndexReader::Open(index::SourceOfBytes(bytes, "damaged"));
  ASSERT_TRUE(reader.ok());
  index::IndexedStore indexed(std::shared_ptr<index::IndexReader>(std::move(*reader)),
                              *fixture_.store);
  NamespaceOptions o = Options();
  o.indexed = &indexed;
  o.clock = &clock_;
  Namespace ns(*fixture_.store, o);
  auto root = ns.ReadDirectory(Namespace::kRootIno);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->size(), 200u);
  EXPECT_TRUE(ns.Lookup(Namespace::kRootIno, "f1000").ok());
}

}  // namespace
}  // namespace ferry::fs
