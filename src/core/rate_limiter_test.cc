#include "core/rate_limiter.h"

#include <gtest/gtest.h>

namespace ferry {
namespace {

TEST(RateLimiter, HoldsTheAverageRate) {
  ManualClock clock(0);
  int64_t slept = 0;
  RateLimiter limiter(1'000'000, clock, [&](int64_t ns) {
    slept += ns;
    clock.Advance(ns);
  });
  // 10 MB at 1 MB/s takes ~10 s of (simulated) waiting, minus the initial burst.
  for (int i = 0; i < 100; ++i) limiter.Acquire(100'000);
  EXPECT_NEAR(static_cast<double>(slept) / 1e9, 9.9, 0.05);
}

TEST(RateLimiter, IdleTimeIsNotSavedBeyondTheBurst) {
  ManualClock clock(0);
  int64_t slept = 0;
  RateLimiter limiter(1'000'000, clock, [&](int64_t ns) {
    slept += ns;
    clock.Advance(ns);
  });
  clock.Advance(int64_t{60} * 1'000'000'000);  // a minute idle
  limiter.Acquire(2'000'000);
  EXPECT_NEAR(static_cast<double>(slept) / 1e9, 1.9, 0.05);
}

}  // namespace
}  // namespace ferry
