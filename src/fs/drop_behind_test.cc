#include "fs/drop_behind.h"

#include <gtest/gtest.h>

namespace ferry::fs {
namespace {

constexpr uint64_t kMiB = 1 << 20;

// Reads [from, to) in 1 MiB reads and collects what is dropped, in order.
std::vector<ByteRange> Stream(DropBehind& drop, uint64_t from, uint64_t to) {
  std::vector<ByteRange> dropped;
  for (uint64_t off = from; off < to; off += kMiB) {
    if (auto r = drop.OnRead(off, kMiB)) dropped.push_back(*r);
  }
  return dropped;
}

TEST(DropBehindTest, AStreamDropsWhatItLeftTheDistanceBehindInSteps) {
  DropBehind drop(256 * kMiB);
  auto dropped = Stream(drop, 0, 512 * kMiB);
  ASSERT_EQ(dropped.size(), 4u);
  uint64_t expected = 0;
  for (const ByteRange& r : dropped) {
    EXPECT_EQ(r.offset, expected);  // contiguous, nothing dropped twice
    EXPECT_EQ(r.length, 64 * kMiB);
    expected += r.length;
  }
  // Never closer to the reader than the distance.
  EXPECT_EQ(expected + 256 * kMiB, 512 * kMiB);
}

TEST(DropBehindTest, AFileShorterThanTheDistanceKeepsItsPages) {
  DropBehind drop(256 * kMiB);
  EXPECT_TRUE(Stream(drop, 0, 300 * kMiB).empty());
}

TEST(DropBehindTest, ReadsSlightlyOutOfOrderAreStillTheStream) {
  DropBehind drop(16 * kMiB);
  std::vector<ByteRange> dropped;
  // Pairs of reads answered in reverse order, as two FUSE threads may.
  for (uint64_t off = 0; off < 64 * kMiB; off += 2 * kMiB) {
    for (uint64_t o : {off + kMiB, off}) {
      if (auto r = drop.OnRead(o, kMiB)) dropped.push_back(*r);
    }
  }
  ASSERT_FALSE(dropped.empty());
  EXPECT_EQ(dropped.front().offset, 0u);
  EXPECT_EQ(dropped.back().offset + dropped.back().length, 48 * kMiB);
}

TEST(DropBehindTest, ASeekStartsANewRunAndKeepsWhatCameBefore) {
  DropBehind drop(16 * kMiB);
  Stream(drop, 0, 8 * kMiB);
  auto dropped = Stream(drop, 100 * kMiB, 140 * kMiB);
  ASSERT_FALSE(dropped.empty());
  // The pages of the first run were not read by this stream's run: they stay.
  EXPECT_EQ(dropped.front().offset, 100 * kMiB);
  // A seek back into dropped ground starts over from there.
  EXPECT_FALSE(drop.OnRead(100 * kMiB, kMiB));
  auto again = Stream(drop, 101 * kMiB, 130 * kMiB);
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(again.front().offset, 100 * kMiB);
}

TEST(DropBehindTest, TwoInterleavedStreamsDropNothing) {
  DropBehind drop(16 * kMiB);
  for (uint64_t i = 0; i < 200; ++i) {
    EXPECT_FALSE(drop.OnRead(i * kMiB, kMiB));
    EXPECT_FALSE(drop.OnRead(500 * kMiB + i * kMiB, kMiB));
  }
}

TEST(DropBehindTest, RangesArePageAligned) {
  DropBehind drop(10 * kMiB + 123);
  for (uint64_t off = 0; off < 40 * kMiB; off += 100'000) {
    if (auto r = drop.OnRead(off, 100'000)) {
      EXPECT_EQ(r->offset % 4096, 0u);
      EXPECT_EQ(r->length % 4096, 0u);
    }
  }
}

}  // namespace
}  // namespace ferry::fs
