#include "gateway/range_set.h"

#include <gtest/gtest.h>

namespace ferry::gateway {
namespace {

TEST(RangeSet, AddMergesOverlappingAndAdjacentRuns) {
  RangeSet s;
  s.Add(10, 20);
  s.Add(30, 40);
  s.Add(20, 25);  // adjacent to the first
  EXPECT_EQ(s.Encode(), "10-25,30-40");
  s.Add(5, 35);
  EXPECT_EQ(s.Encode(), "5-40");
  s.Add(50, 50);  // empty
  EXPECT_EQ(s.bytes(), 35u);
}

TEST(RangeSet, ContainsOverlapsAndMissing) {
  RangeSet s;
  s.Add(10, 20);
  s.Add(30, 40);
  EXPECT_TRUE(s.Contains(12, 18));
  EXPECT_FALSE(s.Contains(15, 31));
  EXPECT_TRUE(s.Overlaps(19, 30));
  EXPECT_FALSE(s.Overlaps(20, 30));
  EXPECT_FALSE(s.Overlaps(0, 10));
  const std::vector<ByteSpan> gaps = s.Missing(0, 50);
  ASSERT_EQ(gaps.size(), 3u);
  EXPECT_EQ(gaps[0], (ByteSpan{0, 10}));
  EXPECT_EQ(gaps[1], (ByteSpan{20, 30}));
  EXPECT_EQ(gaps[2], (ByteSpan{40, 50}));
  EXPECT_TRUE(s.Missing(12, 18).empty());
  ASSERT_EQ(s.Missing(15, 35).size(), 1u);
  EXPECT_EQ(s.Missing(15, 35)[0], (ByteSpan{20, 30}));
}

TEST(RangeSet, TruncateCutsTheRunsPastTheSize) {
  RangeSet s;
  s.Add(0, 10);
  s.Add(20, 30);
  s.TruncateTo(25);
  EXPECT_EQ(s.Encode(), "0-10,20-25");
  s.TruncateTo(20);
  EXPECT_EQ(s.Encode(), "0-10");
  s.TruncateTo(0);
  EXPECT_TRUE(s.empty());
}

TEST(RangeSet, DecodeRefusesMalformedText) {
  auto ok = RangeSet::Decode("0-10,20-25");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->Encode(), "0-10,20-25");
  EXPECT_TRUE(RangeSet::Decode("").ok());
  for (const char* bad : {"5", "5-", "-5", "10-5", "0-10,5-20", "0-10,10-20", "a-b", "0-10,"}) {
    EXPECT_FALSE(RangeSet::Decode(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace ferry::gateway
