#include "index/index_reader.h"

#include <gtest/gtest.h>

#include "index/index_writer.h"
#include "index/indexed_store.h"
#include "testing/memory_store.h"
#include "testing/store_test_util.h"

namespace ferry::index {
namespace {

std::vector<IndexEntry> Keys(const std::vector<std::string>& keys) {
  std::vector<IndexEntry> out;
  for (const auto& k : keys) {
    IndexEntry e;
    e.key = k;
    e.size = k.size();
    e.etag = "0123456789abcdef0123456789abcdef";
    e.last_modified_ns = 1'000'000'000;
    out.push_back(e);
  }
  return out;
}

// Keys of a tree: d0..d9 / f000..f099, and a few at the top.
std::vector<std::string> TreeKeys() {
  std::vector<std::string> keys = {"data/", "data/a.txt"};
  for (int d = 0; d < 10; ++d) {
    for (int f = 0; f < 100; ++f) {
      char name[32];
      std::snprintf(name, sizeof name, "data/d%d/f%03d", d, f);
      keys.push_back(name);
    }
  }
  keys.push_back("data/z.txt");
  return keys;
}

std::unique_ptr<IndexReader> OpenBytes(const std::string& bytes, size_t cached = 64) {
  auto reader = IndexReader::Open(SourceOfBytes(bytes, "test.index"), cached);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  return reader.ok() ? std::move(*reader) : nullptr;
}

// Every listing the store gives, page by page, as "o:key" and "p:prefix".
std::vector<std::string> ListAll(ObjectStore& store, ListObjectsRequest req) {
  std::vector<std::string> out;
  for (;;) {
    auto page = store.ListObjects(req);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) return out;
    std::vector<std::string> items;
    for (auto& o : page->objects) items.push_back("o:" + o.key);
    for (auto& p : page->common_prefixes) items.push_back("p:" + p);
    std::sort(items.begin(), items.end(),
              [](const std::string& a, const std::string& b) { return a.substr(2) < b.substr(2); });
    out.insert(out.end(), items.begin(), items.end());
    if (!page->truncated) return out;
    req.start_after = page->last;
  }
}

TEST(IndexReaderTest, ListingsFromTheIndexEqualTheStoresOwn) {
  testing::MemoryStore store;
  ASSERT_TRUE(store.CreateBucket("bkt").ok());
  auto keys = TreeKeys();
  keys.push_back("other/x");
  for (const auto& k : keys) ASSERT_TRUE(testing::Put(store, "bkt", k, "").ok());
  keys.pop_back();
  // Small blocks: listings cross many of them.
  auto bytes = WriteIndex({"bkt", "data/", "memory", 1, 0}, Keys(keys), 512);
  ASSERT_TRUE(bytes.ok());
  auto reader = OpenBytes(*bytes, 4);
  ASSERT_TRUE(reader);
  EXPECT_GT(reader->blocks().size(), 20u);
  EXPECT_EQ(reader->info().entries, keys.size());
  IndexedStore indexed(std::shared_ptr<IndexReader>(std::move(reader)), store);
  struct Case {
    std::string prefix, delimiter, start_after;
    int max_keys;
  };
  for (const Case& c : std::vector<Case>{{"data/", "/", "", 1000},
                                         {"data/", "/", "", 3},
                                         {"data/", "", "", 7},
                                         {"data/d3/", "/", "", 1000},
                                         {"data/d3/f0", "/", "", 4},
                                         {"data/", "/", "data/d4/", 2},
                                         {"data/", "/", "data/d4/f050", 2},
                                         {"data/d", "", "data/d9/f098", 1000},
                                         {"data/q", "/", "", 1000},
                                         {"data/", "f0", "", 5}}) {
    ListObjectsRequest req;
    req.bucket = "bkt";
    req.prefix = c.prefix;
    req.delimiter = c.delimiter;
    req.start_after = c.start_after;
    req.max_keys = c.max_keys;
    EXPECT_EQ(ListAll(indexed, req), ListAll(store, req))
        << c.prefix << " " << c.delimiter << " " << c.start_after << " " << c.max_keys;
  }
}

TEST(IndexReaderTest, KeysAfterTheIndexesEndAreListedFromTheStore) {
  testing::MemoryStore store;
  ASSERT_TRUE(store.CreateBucket("bkt").ok());
  auto keys = TreeKeys();
  for (const auto& k : keys) ASSERT_TRUE(testing::Put(store, "bkt", k, "").ok());
  auto bytes = WriteIndex({"bkt", "data/", "memory", 1, 0}, Keys(keys), 512);
  ASSERT_TRUE(bytes.ok());
  IndexedStore indexed(std::shared_ptr<IndexReader>(OpenBytes(*bytes)), store);
  // Written after the index: one inside the range it holds (not seen until it is updated), and
  // some after its last key (found by the listing that starts there).
  for (const auto& k : {"data/d5/new", "data/z.txu", "data/zz/1", "data/zz/2"}) {
    ASSERT_TRUE(testing::Put(store, "bkt", k, "").ok());
  }
  ListObjectsRequest req;
  req.bucket = "bkt";
  req.prefix = "data/";
  req.delimiter = "/";
  auto top = ListAll(indexed, req);
  std::vector<std::string> tail(top.end() - 3, top.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"o:data/z.txt", "o:data/z.txu", "p:data/zz/"}));
  req.delimiter.clear();
  req.max_keys = 999;
  auto flat = ListAll(indexed, req);
  EXPECT_EQ(flat.size(), keys.size() + 3);
  EXPECT_EQ(std::count(flat.begin(), flat.end(), "o:data/d5/new"), 0);
  // A prefix outside the index goes to the store.
  req.prefix = "elsewhere/";
  EXPECT_TRUE(ListAll(indexed, req).empty());
}

TEST(IndexReaderTest, DamageIsFoundAndNamed) {
  auto bytes = WriteIndex({"bkt", "data/", "memory", 1, 0}, Keys(TreeKeys()), 512);
  ASSERT_TRUE(bytes.ok());
  // Truncated anywhere: refused at open.
  for (size_t cut : {size_t{0}, size_t{10}, bytes->size() / 2, bytes->size() - 1}) {
    auto r = IndexReader::Open(SourceOfBytes(bytes->substr(0, cut), "cut.index"));
    ASSERT_FALSE(r.ok()) << cut;
    EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
    EXPECT_NE(r.status().message().find("cut.index"), std::string::npos);
  }
  // A flipped byte in a block: the index opens, and reading that block fails.
  std::string damaged = *bytes;
  auto reader = OpenBytes(*bytes);
  const BlockHandle& b = reader->blocks()[3];
  damaged[b.offset + b.length / 2] ^= 0x20;
  auto bad = OpenBytes(damaged);
  ASSERT_TRUE(bad);
  EXPECT_TRUE(bad->ReadBlock(2).ok());
  auto block = bad->ReadBlock(3);
  ASSERT_FALSE(block.ok());
  EXPECT_EQ(block.status().code(), Status::Code::kCorruption);
  EXPECT_NE(block.status().message().find("checksum"), std::string::npos);
  ListObjectsRequest req;
  req.bucket = "bkt";
  req.prefix = "data/";
  req.max_keys = 100000;  // reaches every block
  EXPECT_EQ(bad->List(req).status().code(), Status::Code::kCorruption);
  // The footer damaged: refused at open.
  std::string footer_damaged = *bytes;
  footer_damaged[footer_damaged.size() - kTrailerSize - 5] ^= 1;
  EXPECT_EQ(IndexReader::Open(SourceOfBytes(footer_damaged, "f")).status().code(),
            Status::Code::kCorruption);
  // Not an index at all.
  EXPECT_EQ(IndexReader::Open(SourceOfBytes(std::string(100, 'x'), "x")).status().code(),
            Status::Code::kCorruption);
}

TEST(IndexReaderTest, NewerFormatIsRefusedWithAClearError) {
  auto bytes = WriteIndex({"bkt", "", "memory", 1, 0}, Keys({"a"}));
  ASSERT_TRUE(bytes.ok());
  std::string newer = *bytes;
  newer[8] = 9;  // the header's version
  auto r = IndexReader::Open(SourceOfBytes(newer, "n"));
  EXPECT_EQ(r.status().code(), Status::Code::kNotImplemented);
  EXPECT_NE(r.status().message().find("upgrade ferry"), std::string::npos);
}

TEST(IndexReaderTest, CoversOnlyItsPrefix) {
  auto bytes = WriteIndex({"bkt", "data/", "memory", 1, 0}, Keys({"data/a"}));
  ASSERT_TRUE(bytes.ok());
  auto reader = OpenBytes(*bytes);
  EXPECT_TRUE(CheckCovers(*reader, "bkt", "data/").ok());
  EXPECT_TRUE(CheckCovers(*reader, "bkt", "data/train/").ok());
  EXPECT_FALSE(CheckCovers(*reader, "bkt", "dat").ok());
  EXPECT_FALSE(CheckCovers(*reader, "bkt", "").ok());
  auto other = CheckCovers(*reader, "other", "data/");
  EXPECT_EQ(other.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(other.message().find("s3://bkt/data/"), std::string::npos);
}

TEST(IndexReaderTest, WriterRefusesKeysOutOfOrderOrOutsideThePrefix) {
  EXPECT_FALSE(WriteIndex({"bkt", "data/", "", 1, 0}, Keys({"data/b", "data/a"})).ok());
  EXPECT_FALSE(WriteIndex({"bkt", "data/", "", 1, 0}, Keys({"data/a", "data/a"})).ok());
  EXPECT_FALSE(WriteIndex({"bkt", "data/", "", 1, 0}, Keys({"other"})).ok());
  auto empty = WriteIndex({"bkt", "data/", "", 1, 0}, {});
  ASSERT_TRUE(empty.ok());
  auto reader = OpenBytes(*empty);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->info().entries, 0u);
  auto page = reader->List({"bkt", "data/", "/", "", 1000});
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
}

TEST(IndexReaderTest, ObjectSourceReadsByRange) {
  testing::MemoryStore store;
  ASSERT_TRUE(store.CreateBucket("bkt").ok());
  auto bytes = WriteIndex({"bkt", "data/", "memory", 1, 0}, Keys(TreeKeys()), 512);
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(testing::Put(store, "bkt", "idx", *bytes).ok());
  auto source = SourceOfObject(store, "bkt", "idx");
  ASSERT_TRUE(source.ok());
  auto reader = IndexReader::Open(std::move(*source));
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->name(), "s3://bkt/idx");
  auto page = (*reader)->List({"bkt", "data/d7/", "/", "", 1000});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->objects.size(), 100u);
  EXPECT_EQ(SourceOfObject(store, "bkt", "missing").status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace ferry::index
