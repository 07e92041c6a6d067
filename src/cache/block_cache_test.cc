#include "cache/block_cache.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

namespace ferry::cache {
namespace {

namespace fs = std::filesystem;

constexpr size_t kBlock = 64 << 10;

std::string Bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Bytes the cache's files take on disk (allocated blocks).
uint64_t DiskUse(const fs::path& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    struct stat st;
    if (e.is_regular_file() && ::stat(e.path().c_str(), &st) == 0) {
      total += static_cast<uint64_t>(st.st_blocks) * 512;
    }
  }
  return total;
}

// Each test block takes 17 pages in a segment: a header page and 64 KiB of data.
constexpr uint64_t kEntryBytes = 17 * 4096;
// The page of the directory's segment table, part of its limit.
constexpr uint64_t kTable = 4096;

class BlockCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ferry-cache-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<BlockCache> Open(uint64_t capacity, uint64_t segment_bytes = 0,
                                   std::chrono::milliseconds flush_interval = {}) {
    BlockCacheOptions o;
    o.dir = dir_.string();
    o.capacity_bytes = capacity;
    o.segment_bytes = segment_bytes;
    o.clock = &clock_;
    o.flush_interval = flush_interval;  // none by default: tests say when batches are written
    auto cache = BlockCache::Open(o);
    EXPECT_TRUE(cache.ok()) << cache.status().ToString();
    return cache.ok() ? std::move(cache).value() : nullptr;
  }

  std::string ReadAll(BlockCache& cache, const BlockKey& key, size_t size) {
    std::string out(size, '\0');
    auto n = cache.Read(key, 0, std::span<char>(out.data(), out.size()));
    if (!n.ok()) return "<" + n.status().ToString() + ">";
    out.resize(*n);
    return out;
  }

  fs::path dir_;
  ManualClock clock_{int64_t{1'800'000'000} * 1'000'000'000};
};

TEST_F(BlockCacheTest, StoresReadsRangesAndKeysByEtag) {
  auto cache = Open(10 << 20);
  BlockKey key{"bucket/data.bin", "etag-1", 3};
  std::string data = Bytes(kBlock, 1);
  ASSERT_TRUE(cache->Put(key, data).ok());
  EXPECT_TRUE(cache->Contains(key));
  EXPECT_EQ(ReadAll(*cache, key, kBlock), data);
  std::string part(100, '\0');
  auto n = cache->Read(key, kBlock - 40, std::span<char>(part.data(), part.size()));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 40u);
  EXPECT_EQ(part.substr(0, 40), data.substr(kBlock - 40));
  // Another version of the object, or another block, is a miss.
  EXPECT_EQ(cache->Read({"bucket/data.bin", "etag-2", 3}, 0, std::span<char>(part)).status().code(),
            Status::Code::kNotFound);
  EXPECT_FALSE(cache->Contains({"bucket/data.bin", "etag-1", 4}));
  EXPECT_EQ(cache->CachedBytes("bucket/data.bin", "etag-1"), kBlock);
  EXPECT_EQ(cache->CachedBytes("bucket/data.bin", "etag-2"), 0u);
  auto s = cache->stats();
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.blocks, 1u);
}

// Overwrites bytes of the cache's first segment file.
void Scribble(const fs::path& dir, uint64_t offset, std::string_view bytes) {
  std::fstream f(dir / "segments" / "000000", std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST_F(BlockCacheTest, WarmAfterReopenAndTornEntriesDropped) {
  BlockKey a{"b/a", "e", 0}, b{"b/b", "e", 0}, c{"b/c", "e", 0};
  {
    auto cache = Open(10 << 20);
    ASSERT_TRUE(cache->Put(a, Bytes(kBlock, 2)).ok());
    ASSERT_TRUE(cache->Put(b, Bytes(kBlock, 3)).ok());
    ASSERT_TRUE(cache->Put(c, Bytes(kBlock, 4)).ok());
  }
  // A crash mid-write: b's data torn (its header made it), c's header never written. The
  // layout of an earlier version is dropped.
  Scribble(dir_, kEntryBytes + 4096 + 100, std::string(4096, '\0'));
  Scribble(dir_, 2 * kEntryBytes, std::string(4096, '\0'));
  fs::create_directories(dir_ / "blocks" / "ab");
  auto cache = Open(10 << 20);
  EXPECT_EQ(ReadAll(*cache, a, kBlock), Bytes(kBlock, 2));
  EXPECT_TRUE(cache->Contains(b));  // until its data is checked
  EXPECT_EQ(cache->Read(b, 0, std::span<char>()).status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(cache->Contains(b));
  EXPECT_FALSE(cache->Contains(c));
  EXPECT_EQ(cache->stats().dropped, 1u);
  EXPECT_FALSE(fs::exists(dir_ / "blocks"));
  // Appending goes on elsewhere; a is still served after more writes.
  ASSERT_TRUE(cache->Put(c, Bytes(kBlock, 4)).ok());
  EXPECT_EQ(ReadAll(*cache, c, kBlock), Bytes(kBlock, 4));
  EXPECT_EQ(ReadAll(*cache, a, kBlock), Bytes(kBlock, 2));
}

TEST_F(BlockCacheTest, ProcessesShareADirectoryAndItsLimit) {
  // Two caches on one directory stand for two processes: their files and locks are their own.
  auto first = Open(6 * kEntryBytes + kTable, 2 * kEntryBytes);
  const BlockKey a{"b/a", "e", 0, kBlock}, b{"b/b", "e", 0, kBlock};
  ASSERT_TRUE(first->Put(a, Bytes(kBlock, 1)).ok());
  auto second =
      Open(60 * kEntryBytes + kTable, 2 * kEntryBytes);  // another limit: the first's holds
  EXPECT_EQ(second->stats().capacity_bytes, 6 * kEntryBytes + kTable);
  EXPECT_NE(second->shared_limit_note().find("limit"), std::string::npos);
  // What one cached is a hit for the other, once on disk: the first's open batch is not yet.
  EXPECT_FALSE(second->Contains(a));
  ASSERT_TRUE(first->Put(b, Bytes(kBlock, 2)).ok());
  first.reset();  // writes its batch and lets go of its segment
  EXPECT_EQ(ReadAll(*second, a, kBlock), Bytes(kBlock, 1));
  EXPECT_EQ(ReadAll(*second, b, kBlock), Bytes(kBlock, 2));
  EXPECT_EQ(second->stats().hits, 2u);
  // Both write past the limit together: the segments stay within it.
  first = Open(6 * kEntryBytes + kTable, 2 * kEntryBytes);
  for (int i = 0; i < 12; ++i) {
    BlockCache& cache = (i % 2) ? *first : *second;
    ASSERT_TRUE(cache.Put({"b/many", "e", static_cast<uint64_t>(i), kBlock}, Bytes(kBlock, i)).ok())
        << i;
    clock_.Advance(1'000'000'000);
  }
  EXPECT_LE(DiskUse(dir_), 6 * kEntryBytes + kTable);
  for (int i = 8; i < 12; ++i) {
    BlockCache& other = (i % 2) ? *second : *first;
    const BlockKey key{"b/many", "e", static_cast<uint64_t>(i), kBlock};
    const std::string got = ReadAll(other, key, kBlock);
    if (got.front() != '<') {  // evicted by the other is fine; wrong bytes are not
      EXPECT_EQ(got, Bytes(kBlock, i)) << i;
    }
  }
  // The last user gone, the next one lays the directory out with its own limit.
  first.reset();
  second.reset();
  auto third = Open(10 * kEntryBytes + kTable, 2 * kEntryBytes);
  EXPECT_EQ(third->stats().capacity_bytes, 10 * kEntryBytes + kTable);
  EXPECT_TRUE(third->shared_limit_note().empty());
}

TEST_F(BlockCacheTest, BatchedBlocksReachTheOtherProcessesSoon) {
  auto first = Open(6 * kEntryBytes + kTable, 2 * kEntryBytes, std::chrono::milliseconds(50));
  auto second = Open(6 * kEntryBytes + kTable, 2 * kEntryBytes);
  const BlockKey a{"b/a", "e", 0, kBlock};
  ASSERT_TRUE(first->Put(a, Bytes(kBlock, 1)).ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!second->Contains(a) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(ReadAll(*second, a, kBlock), Bytes(kBlock, 1));
  // And at once when asked.
  const BlockKey b{"b/b", "e", 0, kBlock};
  auto third = Open(6 * kEntryBytes + kTable, 2 * kEntryBytes);
  ASSERT_TRUE(third->Put(b, Bytes(kBlock, 2)).ok());
  third->Flush();
  EXPECT_EQ(ReadAll(*second, b, kBlock), Bytes(kBlock, 2));
}

TEST_F(BlockCacheTest, AWriterKilledMidWriteLeavesOthersOnlyWholeBlocks) {
  // A child process caches blocks, large (written directly) and small (batched), without
  // end until it is killed with SIGKILL; this process reads along and after.
  constexpr uint64_t kCapacity = 64 << 20;
  // Cheap to make and compare: block i is i's byte, its number in front.
  auto block_of = [](uint64_t i) {
    std::string data((i % 3 == 0) ? 3 * kBlock : kBlock / 2, static_cast<char>(i * 7));
    std::memcpy(data.data(), &i, sizeof i);
    return data;
  };
  auto reader = Open(kCapacity);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto writer = Open(kCapacity, 0, std::chrono::milliseconds(5));
    for (uint64_t i = 0;; ++i) {
      (void)writer->Put({"b/w", "e", i, 1}, block_of(i));
    }
  }
  auto check = [&](uint64_t upto) {
    uint64_t found = 0;
    for (uint64_t i = 0; i < upto; ++i) {
      const BlockKey key{"b/w", "e", i, 1};
      if (!reader->Contains(key)) continue;
      const std::string want = block_of(i);
      std::string got(want.size(), '\0');
      auto n = reader->Read(key, 0, std::span<char>(got));
      if (!n.ok()) continue;
      ++found;
      EXPECT_EQ(*n, want.size()) << i;
      EXPECT_TRUE(got == want) << i;
    }
    return found;
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  check(2000);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_GT(check(100000), 10u);
  // Its segment is free again: this process appends past the limit's worth of blocks.
  for (uint64_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(reader->Put({"b/r", "e", i, 1}, Bytes(kBlock, 1000 + i)).ok()) << i;
  }
  EXPECT_LE(DiskUse(dir_), kCapacity);
  // A process that finds the directory unused rebuilds it from the files (torn blocks
  // included, which fail their checks): whole blocks only.
  reader.reset();
  reader = Open(kCapacity);
  check(100000);
}

TEST_F(BlockCacheTest, AnEntryReadByOneProcessIsNotDroppedUnderItByAnother) {
  auto first = Open(6 * kEntryBytes + kTable, 2 * kEntryBytes);
  auto second = Open(6 * kEntryBytes + kTable, 2 * kEntryBytes);
  const BlockKey a{"b/a", "e", 0, kBlock};
  ASSERT_TRUE(first->Put(a, Bytes(kBlock, 1)).ok());
  first.reset();
  first = Open(6 * kEntryBytes + kTable, 2 * kEntryBytes);
  ASSERT_TRUE(second->Contains(a));
  ASSERT_TRUE(first->Contains(a));
  // Released by one while the other has read it: the other finds it gone, never zeros.
  EXPECT_EQ(first->Release("b/a"), kBlock);
  std::string out(kBlock, '\0');
  EXPECT_EQ(second->Read(a, 0, std::span<char>(out)).status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(second->Contains(a));
  EXPECT_EQ(first->stats().dropped + second->stats().dropped, 0u);
}

TEST_F(BlockCacheTest, EverySizeRoundTripsThroughAReopen) {
  // Around the 4 KiB boundaries of the direct-I/O write (header of ~60 bytes included).
  const std::vector<size_t> sizes = {0, 1, 100, 4000, 4036, 4096, 4097, 8192, 100000, 1 << 20};
  {
    auto cache = Open(64 << 20);
    for (size_t i = 0; i < sizes.size(); ++i) {
      ASSERT_TRUE(cache->Put({"b/s", "e", i}, Bytes(sizes[i], static_cast<int>(i))).ok());
    }
  }
  auto cache = Open(64 << 20);
  for (size_t i = 0; i < sizes.size(); ++i) {
    ASSERT_TRUE(cache->Contains({"b/s", "e", i})) << sizes[i];
    EXPECT_EQ(ReadAll(*cache, {"b/s", "e", i}, sizes[i]), Bytes(sizes[i], static_cast<int>(i)))
        << sizes[i];
  }
  EXPECT_EQ(cache->stats().dropped, 0u);
}

TEST_F(BlockCacheTest, CorruptDataIsNeverServed) {
  BlockKey key{"b/c", "e", 0};
  {
    auto cache = Open(10 << 20);
    ASSERT_TRUE(cache->Put(key, Bytes(kBlock, 4)).ok());
  }
  Scribble(dir_, 4096 + kBlock - 10, "\x5a");
  auto cache = Open(10 << 20);
  EXPECT_TRUE(cache->Contains(key));  // the header is intact...
  std::string out(kBlock, '\0');
  EXPECT_FALSE(cache->Read(key, 0, std::span<char>(out)).ok());  // ...the data is not
  EXPECT_FALSE(cache->Contains(key));
}

TEST_F(BlockCacheTest, EvictsTheLeastRecentlyUsedSegmentAndNeverExceedsTheLimit) {
  // Three segments of two blocks each.
  const uint64_t capacity = 6 * kEntryBytes + kTable;
  auto cache = Open(capacity, 2 * kEntryBytes);
  std::vector<BlockKey> keys;
  for (int i = 0; i < 6; ++i) {
    keys.push_back({"b/f", "e", static_cast<uint64_t>(i)});
    ASSERT_TRUE(cache->Put(keys.back(), Bytes(kBlock, 10 + i)).ok());
    clock_.Advance(1'000'000'000);
  }
  EXPECT_EQ(cache->stats().evicted, 0u);
  // Block 0 is read: its segment is now the most recent; the second segment is the least.
  ASSERT_EQ(ReadAll(*cache, keys[0], kBlock), Bytes(kBlock, 10));
  ASSERT_TRUE(cache->Put({"b/f", "e", 6}, Bytes(kBlock, 16)).ok());
  for (int i : {0, 1, 4, 5}) EXPECT_TRUE(cache->Contains(keys[i])) << i;
  for (int i : {2, 3}) EXPECT_FALSE(cache->Contains(keys[i])) << i;
  EXPECT_EQ(ReadAll(*cache, {"b/f", "e", 6}, kBlock), Bytes(kBlock, 16));
  EXPECT_EQ(cache->stats().evicted, 2u);
  EXPECT_LE(cache->stats().bytes_used, capacity);
  EXPECT_LE(DiskUse(dir_), capacity);
  // A block larger than a segment is refused.
  EXPECT_EQ(cache->Put({"b/huge", "e", 0}, Bytes(3 * kBlock, 5)).code(),
            Status::Code::kResourceExhausted);
}

TEST_F(BlockCacheTest, ReleasedSpaceGoesBackAndEmptiedSegmentsAreReusedFirst) {
  const uint64_t capacity = 6 * kEntryBytes + kTable;
  auto cache = Open(capacity, 2 * kEntryBytes);
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(cache
                    ->Put({"b/" + std::to_string(i / 2), "e", static_cast<uint64_t>(i % 2)},
                          Bytes(kBlock, i))
                    .ok());
    clock_.Advance(1'000'000'000);
  }
  const uint64_t before = DiskUse(dir_ / "segments");
  EXPECT_EQ(cache->Release("b/2"), 2 * kBlock);  // the newest segment, emptied
  EXPECT_LE(DiskUse(dir_ / "segments"), before - 2 * kBlock);
  ASSERT_TRUE(cache->Put({"b/3", "e", 0}, Bytes(kBlock, 7)).ok());
  EXPECT_EQ(cache->stats().evicted, 0u);  // the emptied segment took it
  EXPECT_TRUE(cache->Contains({"b/0", "e", 0}));
  EXPECT_TRUE(cache->Contains({"b/1", "e", 1}));
}

TEST_F(BlockCacheTest, ConcurrentReadersAndWritersStayWithinTheLimit) {
  const uint64_t capacity = 8 * 17 * 4096;
  auto cache = Open(capacity);
  std::atomic<bool> over{false}, wrong{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        BlockKey key{"b/obj" + std::to_string((t * 7 + i) % 24), "e", 0};
        std::string want = Bytes(kBlock, static_cast<uint32_t>((t * 7 + i) % 24));
        Status st = cache->Put(key, want);
        if (!st.ok() && st.code() != Status::Code::kResourceExhausted) wrong = true;
        std::string got(kBlock, '\0');
        auto n = cache->Read(key, 0, std::span<char>(got));
        if (n.ok() && got != want) wrong = true;
        if (cache->stats().bytes_used > capacity) over = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(over.load());
  EXPECT_FALSE(wrong.load());
  EXPECT_LE(DiskUse(dir_), capacity);
}

TEST_F(BlockCacheTest, ReleaseByObjectAndAge) {
  auto cache = Open(10 << 20);
  ASSERT_TRUE(cache->Put({"b/old", "e", 0}, Bytes(1000, 1)).ok());
  ASSERT_TRUE(cache->Put({"b/old", "e", 1}, Bytes(1000, 2)).ok());
  clock_.Advance(int64_t{8} * 86400 * 1'000'000'000);
  ASSERT_TRUE(cache->Put({"b/new", "e", 0}, Bytes(1000, 3)).ok());
  EXPECT_EQ(cache->ReleaseOlderThan(clock_.NowNanos() - int64_t{7} * 86400 * 1'000'000'000), 2000u);
  EXPECT_FALSE(cache->Contains({"b/old", "e", 0}));
  EXPECT_TRUE(cache->Contains({"b/new", "e", 0}));
  EXPECT_EQ(cache->Release("b/new"), 1000u);
  EXPECT_EQ(cache->stats().blocks, 0u);
  EXPECT_EQ(cache->stats().bytes_used, 0u);
}

TEST(BlockFile, HeaderRoundTripAndRejects) {
  BlockKey key{"bucket/some key", "\"abc\"", 7};
  std::string encoded = EncodeBlock(key, "payload");
  auto h = DecodeBlockHeader(encoded);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->key, key);
  EXPECT_EQ(h->data_length, 7u);
  EXPECT_EQ(encoded.substr(h->header_length), "payload");
  std::string bad = encoded;
  bad[20] ^= 1;  // a header bit
  EXPECT_FALSE(DecodeBlockHeader(bad).has_value());
  EXPECT_FALSE(DecodeBlockHeader("not a block").has_value());
  EXPECT_NE(BlockFileName(key), BlockFileName({"bucket/some key", "\"abc\"", 8}));
  EXPECT_EQ(BlockFileName(key).size(), 32u);
}

}  // namespace
}  // namespace ferry::cache
