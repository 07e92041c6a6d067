#include "core/duration.h"

#include <gtest/gtest.h>

namespace ferry {
namespace {

TEST(DurationTest, UnitsAndPlainSeconds) {
  EXPECT_EQ(*ParseDurationNs("5s"), 5'000'000'000);
  EXPECT_EQ(*ParseDurationNs("250ms"), 250'000'000);
  EXPECT_EQ(*ParseDurationNs("2m"), 120'000'000'000);
  EXPECT_EQ(*ParseDurationNs("1.5h"), int64_t{5400} * 1'000'000'000);
  EXPECT_EQ(*ParseDurationNs("2d"), int64_t{172800} * 1'000'000'000);
  EXPECT_EQ(*ParseDurationNs("3"), 3'000'000'000);
  EXPECT_EQ(*ParseDurationNs("0s"), 0);
}

TEST(DurationTest, AnythingElseIsRefused) {
  for (const char* bad : {"", "s", "-1s", "5 s", "5w", "ten", "1e30h"}) {
    EXPECT_FALSE(ParseDurationNs(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace ferry
