#include "fs/block_reader.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

#include "fs/read_path_fixture.h"

namespace ferry::fs {
namespace {

constexpr uint64_t kBlock = 64 << 10;

using BlockReaderTest = ReadPathFixture;
using ferry::testing::Bytes;

TEST_F(BlockReaderTest, ConcurrentRandomReadsAreExactWithOneFetchPerBlock) {
  const std::string body = Bytes(5 * kBlock + 1234, 7);
  ObjectVersion v = PutObject("data/train.bin", body);
  BlockReader reader(*fixture_.store, *cache_, kBlock);
  std::atomic<bool> wrong{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 200; ++i) {
        uint64_t off = rng() % body.size();
        size_t len = 1 + rng() % (2 * kBlock);
        std::string out(len, '\0');
        auto n = reader.Read(v, off, std::span<char>(out));
        size_t want = std::min<uint64_t>(len, body.size() - off);
        if (!n.ok() || *n != want || out.compare(0, want, body, off, want) != 0) wrong = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(wrong.load());
  auto s = reader.stats();
  EXPECT_EQ(s.fetches, 6u) << "each of the 6 blocks fetched once";
  EXPECT_EQ(s.fetched_bytes, body.size());
  EXPECT_GT(s.cache_hits + s.recent_hits, 0u);
  // Past the end, and empty reads.
  std::string out(10, '\0');
  EXPECT_EQ(*reader.Read(v, body.size(), std::span<char>(out)), 0u);
}

TEST_F(BlockReaderTest, ReadersOfAnotherBlockSizeNeverServeEachOthersBlocks) {
  // Two mounts with different --block-size over one cache directory: block 1 of one is not
  // block 1 of the other.
  const std::string body = Bytes(8 * kBlock, 5);
  ObjectVersion v = PutObject("sizes.bin", body);
  BlockReader small(*fixture_.store, *cache_, kBlock);
  BlockReader large(*fixture_.store, *cache_, 4 * kBlock);
  std::string out(kBlock, '\0');
  ASSERT_EQ(*small.Read(v, kBlock, std::span<char>(out)), kBlock);
  ASSERT_EQ(out, body.substr(kBlock, kBlock));
  ASSERT_EQ(*large.Read(v, 4 * kBlock, std::span<char>(out)), kBlock);
  EXPECT_EQ(out, body.substr(4 * kBlock, kBlock));
  ASSERT_EQ(*small.Read(v, 0, std::span<char>(out)), kBlock);
  EXPECT_EQ(out, body.substr(0, kBlock));
}

TEST_F(BlockReaderTest, BlocksFetchedInARunKeepTheirChecksumsThroughAReopen) {
  // The checksums of a run's blocks are computed as its bytes arrive (here in one piece that
  // spans every block); a reopened cache checks them before serving a block.
  const std::string body = Bytes(5 * kBlock + 77, 11);
  ObjectVersion v = PutObject("run.bin", body);
  {
    BlockReader reader(*fixture_.store, *cache_, kBlock);
    ASSERT_TRUE(reader.LoadRun(v, 0, 6).ok());
    EXPECT_EQ(reader.stats().fetches, 6u);
  }
  OpenCache();
  BlockReader reader(*fixture_.store, *cache_, kBlock);
  std::string out(body.size(), '\0');
  ASSERT_EQ(*reader.Read(v, 0, std::span<char>(out)), body.size());
  EXPECT_EQ(out, body);
  EXPECT_EQ(reader.stats().fetches, 0u) << "a block whose checksum failed was fetched again";
  EXPECT_EQ(reader.stats().cache_hits, 6u);
}

TEST_F(BlockReaderTest, LaterReadersAndNewReadersHitTheCache) {
  const std::string body = Bytes(3 * kBlock, 8);
  ObjectVersion v = PutObject("a.bin", body);
  {
    BlockReader first(*fixture_.store, *cache_, kBlock);
    for (uint64_t i = 0; i < 3; ++i) ASSERT_TRUE(first.Load(v, i).ok());
    EXPECT_EQ(first.stats().fetches, 3u);
  }
  BlockReader second(*fixture_.store, *cache_, kBlock);
  std::string out(body.size(), '\0');
  ASSERT_EQ(*second.Read(v, 0, std::span<char>(out)), body.size());
  EXPECT_EQ(out, body);
  EXPECT_EQ(second.stats().fetches, 0u);
  EXPECT_EQ(cache_->CachedBytes("bkt/a.bin", v.etag), body.size());
}

TEST_F(BlockReaderTest, AChangedObjectIsNeverServedStale) {
  ObjectVersion old_version = PutObject("m.bin", Bytes(kBlock, 1));
  BlockReader reader(*fixture_.store, *cache_, kBlock);
  std::string out(100, '\0');
  auto first = reader.Read(old_version, 0, std::span<char>(out));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ObjectVersion new_version = PutObject("m.bin", Bytes(kBlock, 2));
  // The old version's cached block still serves readers that hold the old version...
  EXPECT_TRUE(reader.Read(old_version, 0, std::span<char>(out)).ok());
  // ...but an uncached block of it cannot be fetched any more (by a reader that does not
  // hold it in memory either).
  EXPECT_TRUE(cache_->Release("bkt/m.bin") > 0);
  BlockReader fresh(*fixture_.store, *cache_, kBlock);
  EXPECT_EQ(fresh.Read(old_version, 0, std::span<char>(out)).status().code(),
            Status::Code::kPreconditionFailed);
  ASSERT_TRUE(reader.Read(new_version, 0, std::span<char>(out)).ok());
  EXPECT_EQ(out, Bytes(kBlock, 2).substr(0, 100));
}

TEST_F(BlockReaderTest, ASmallObjectFetchedWholeIsHandedOutUnreadOnce) {
  const std::string body = Bytes(kBlock / 2, 3);
  ObjectVersion v = PutObject("small.bin", body);
  BlockReader reader(*fixture_.store, *cache_, kBlock);
  EXPECT_FALSE(reader.TakeUnread(v)) << "nothing fetched yet";
  ASSERT_TRUE(reader.ReadSmallObject(v).ok());
  auto unread = reader.TakeUnread(v);
  ASSERT_TRUE(unread);
  ASSERT_EQ(unread->parts.size(), 1u);
  EXPECT_EQ(unread->parts[0], body);
  EXPECT_FALSE(reader.TakeUnread(v)) << "handed out once";

  // A read serves it first: then it is not handed out.
  ObjectVersion other = PutObject("other.bin", body);
  ASSERT_TRUE(reader.ReadSmallObject(other).ok());
  std::string out(body.size(), '\0');
  ASSERT_EQ(*reader.Read(other, 0, std::span<char>(out)), body.size());
  EXPECT_FALSE(reader.TakeUnread(other));

  // Another version of the object is not this one.
  ASSERT_TRUE(reader.ReadSmallObject(v).ok());
  ObjectVersion stale = v;
  stale.etag = "\"0123\"";
  EXPECT_FALSE(reader.TakeUnread(stale));
}

TEST_F(BlockReaderTest, SmallObjectsFetchedWholeButNotReadAreBoundedByABudget) {
  // As after `ls -l`: attributes of many small files, no reads.
  const std::string body = Bytes(kBlock / 2, 4);
  BlockReader reader(*fixture_.store, *cache_, kBlock, 16 * kBlock, /*unread_budget=*/kBlock);
  ObjectVersion a = PutObject("a.bin", body), b = PutObject("b.bin", body);
  EXPECT_TRUE(reader.MayReadWhole(body.size()));
  ASSERT_TRUE(reader.ReadSmallObject(a).ok());
  ASSERT_TRUE(reader.ReadSmallObject(b).ok());
  EXPECT_EQ(reader.stats().unread_bytes, 2 * body.size());
  EXPECT_FALSE(reader.MayReadWhole(body.size())) << "the budget is spent";
  std::string out(body.size(), '\0');
  ASSERT_TRUE(reader.Read(a, 0, std::span<char>(out)).ok());
  EXPECT_EQ(reader.stats().unread_bytes, body.size());
  EXPECT_TRUE(reader.MayReadWhole(body.size())) << "a read gives it back";
  EXPECT_TRUE(reader.TakeUnread(b));
  EXPECT_EQ(reader.stats().unread_bytes, 0u);
}

TEST_F(BlockReaderTest, LoadPutsABlockStillInMemoryIntoTheCache) {
  const std::string body = Bytes(2 * kBlock, 5);
  ObjectVersion v = PutObject("m.bin", body);
  BlockReader reader(*fixture_.store, *cache_, kBlock);
  std::string out(body.size(), '\0');
  auto n = reader.Read(v, 0, std::span<char>(out));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_GT(cache_->Release("bkt/m.bin"), 0u);
  EXPECT_FALSE(reader.Cached(v, 0));
  ASSERT_TRUE(reader.Load(v, 0).ok());
  ASSERT_TRUE(reader.Load(v, 1).ok());
  EXPECT_TRUE(reader.Cached(v, 0)) << "served from memory, kept in the cache all the same";
  EXPECT_TRUE(reader.Cached(v, 1));
}

}  // namespace
}  // namespace ferry::fs
