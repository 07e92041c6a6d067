#include "index/index_shard.h"

#include <gtest/gtest.h>

#include "index/index_writer.h"

namespace ferry::index {
namespace {

TEST(IndexShardTest, EveryEntryFallsToOneRankAndEachReadsOnlyItsBlocks) {
  std::vector<IndexEntry> entries;
  for (int i = 0; i < 5000; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "%s/%05d", i < 4000 ? "train" : "val", i);
    entries.push_back({.key = key, .size = 1, .etag = "e"});
  }
  auto bytes = WriteIndex({"bkt", "", "", 1, 0}, entries, 1024);
  ASSERT_TRUE(bytes.ok());
  auto reader = IndexReader::Open(SourceOfBytes(*bytes, "i"));
  ASSERT_TRUE(reader.ok());
  const size_t blocks = (*reader)->blocks().size();
  ASSERT_GT(blocks, 50u);
  for (uint64_t world : {1, 3, 8}) {
    std::vector<std::string> seen;
    size_t smallest = SIZE_MAX, largest = 0;
    for (uint64_t rank = 0; rank < world; ++rank) {
      ShardReadStats stats;
      size_t before = seen.size();
      ASSERT_TRUE(ReadShard(
                      **reader, "train/", rank, world,
                      [&](const IndexEntry& e) { seen.push_back(e.key); }, &stats)
                      .ok());
      smallest = std::min(smallest, seen.size() - before);
      largest = std::max(largest, seen.size() - before);
      EXPECT_LE(stats.blocks_read, blocks * 4 / 5 / world + 2) << rank << "/" << world;
      EXPECT_EQ(stats.requests, 1u);
    }
    ASSERT_EQ(seen.size(), 4000u) << world;
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
    EXPECT_LE(largest - smallest, 4000 / world / 5 + 50) << world;
  }
  EXPECT_FALSE(ReadShard(**reader, "", 3, 3, [](const IndexEntry&) {}).ok());
}

}  // namespace
}  // namespace ferry::index
