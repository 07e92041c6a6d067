#include "core/retry.h"

#include <gtest/gtest.h>

#include <vector>

namespace ferry {
namespace {

RetryOptions Recording(std::vector<int64_t>* waits, int attempts = 5) {
  RetryOptions o;
  o.max_attempts = attempts;
  o.base_delay_ms = 100;
  o.max_delay_ms = 250;
  o.sleep = [waits](int64_t ms) { waits->push_back(ms); };
  return o;
}

TEST(Retry, RetriesRetryableUntilSuccess) {
  std::vector<int64_t> waits;
  RetryPolicy policy(Recording(&waits));
  int calls = 0;
  Status st = policy.Run([&](int attempt) {
    EXPECT_EQ(attempt, calls);
    ++calls;
    return calls < 3 ? Status::Unavailable("reset") : Status::OK();
  });
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(waits.size(), 2u);
  EXPECT_LE(waits[0], 100);  // full jitter under the exponential ceiling
  EXPECT_LE(waits[1], 200);
  EXPECT_EQ(policy.retries(), 2u);
}

TEST(Retry, FinalErrorsAreNotRetried) {
  std::vector<int64_t> waits;
  RetryPolicy policy(Recording(&waits));
  int calls = 0;
  Status st = policy.Run([&](int) {
    ++calls;
    return Status::NotFound("NoSuchKey");
  });
  EXPECT_TRUE(st.IsNotFound());
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(waits.empty());
}

TEST(Retry, GivesUpAfterMaxAttemptsWithCappedDelays) {
  std::vector<int64_t> waits;
  RetryPolicy policy(Recording(&waits, 6));
  int calls = 0;
  Status st = policy.Run([&](int) {
    ++calls;
    return Status::Unavailable("503 SlowDown");
  });
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(st.retryable());
  EXPECT_EQ(calls, 6);
  for (int64_t w : waits) EXPECT_LE(w, 250);
}

TEST(Retry, RunResultCarriesTheValue) {
  std::vector<int64_t> waits;
  RetryPolicy policy(Recording(&waits));
  int calls = 0;
  auto r = policy.RunResult<int>([&](int) -> Result<int> {
    if (++calls == 1) return Status::Unavailable("stall");
    return 42;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42);
}

}  // namespace
}  // namespace ferry
