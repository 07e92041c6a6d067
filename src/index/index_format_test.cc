#include "index/index_format.h"

#include <gtest/gtest.h>

namespace ferry::index {
namespace {

IndexEntry Entry(std::string key, std::string etag) {
  IndexEntry e;
  e.key = std::move(key);
  e.size = 12345;
  e.etag = std::move(etag);
  e.last_modified_ns = 1'700'000'000'000'000'000;
  return e;
}

TEST(IndexFormatTest, EntriesRoundTripEveryEtagFormAndMetadata) {
  std::vector<IndexEntry> entries = {
      Entry("data/a", "0123456789abcdef0123456789abcdef"),
      Entry("data/a/b", "0123456789abcdef0123456789abcdef-12"),
      Entry("data/b", "not-hex-at-all"),
      Entry("data/c", "0123456789ABCDEF0123456789ABCDEF"),  // upper case: kept as text
      Entry("data/d", "0123456789abcdef0123456789abcdef-012"),
      Entry("data/e", ""),
  };
  entries[1].storage_class = "GLACIER";
  entries[1].last_modified_ns = 5;  // older than the one before: a negative delta
  entries[2].metadata_known = true;
  entries[2].posix.mode = 0100640;
  entries[2].posix.uid = 1000;
  entries[2].posix.gid = 0;
  entries[2].posix.mtime_ns = -1;
  entries[2].posix.atime_ns = 1'700'000'000'123'456'789;
  entries[3].metadata_known = true;  // read, and none stored
  std::string raw = EncodeEntries(entries);
  auto back = DecodeEntries(raw, static_cast<uint32_t>(entries.size()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, entries);
}

TEST(IndexFormatTest, DamagedEntriesAreCorruption) {
  std::vector<IndexEntry> entries = {Entry("k1", "x"), Entry("k2", "y")};
  std::string raw = EncodeEntries(entries);
  EXPECT_FALSE(DecodeEntries(raw, 3).ok());                            // fewer than the count
  EXPECT_FALSE(DecodeEntries(raw, 1).ok());                            // bytes left over
  EXPECT_FALSE(DecodeEntries(raw.substr(0, raw.size() - 3), 2).ok());  // cut short
  std::vector<IndexEntry> unordered = {Entry("k2", "x"), Entry("k1", "y")};
  EXPECT_EQ(DecodeEntries(EncodeEntries(unordered), 2).status().code(), Status::Code::kCorruption);
}

TEST(IndexFormatTest, HeaderTrailerAndFooter) {
  EXPECT_TRUE(CheckHeader(EncodeHeader()).ok());
  EXPECT_EQ(CheckHeader("PK\x03\x04 something else").code(), Status::Code::kCorruption);
  std::string newer = EncodeHeader();
  newer[8] = 2;
  EXPECT_EQ(CheckHeader(newer).code(), Status::Code::kNotImplemented);

  Trailer t{1234, 56, 0xdeadbeef, kFormatVersion};
  auto back = DecodeTrailer(EncodeTrailer(t));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->footer_offset, 1234u);
  EXPECT_EQ(back->footer_crc32c, 0xdeadbeefu);
  EXPECT_FALSE(DecodeTrailer(EncodeTrailer(t).substr(1)).ok());

  Footer f;
  f.info = {"bkt", "data/", "memory", 42, 3};
  f.blocks.push_back({16, 100, 200, 2, 7, "data/a", "data/b"});
  f.blocks.push_back({116, 50, 90, 1, 9, "data/c", "data/c"});
  auto fb = DecodeFooter(EncodeFooter(f));
  ASSERT_TRUE(fb.ok());
  EXPECT_EQ(fb->info.prefix, "data/");
  EXPECT_EQ(fb->blocks[1].last_key, "data/c");
  f.info.entries = 4;  // the blocks hold 3
  EXPECT_EQ(DecodeFooter(EncodeFooter(f)).status().code(), Status::Code::kCorruption);
}

TEST(IndexFormatTest, CompressionRoundTrip) {
  std::string raw(100000, 'x');
  auto back = Uncompress(Compress(raw), static_cast<uint32_t>(raw.size()));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, raw);
  EXPECT_FALSE(Uncompress(Compress(raw), 10).ok());
  EXPECT_FALSE(Uncompress("garbage", 100).ok());
}

}  // namespace
}  // namespace ferry::index
