#include "sync/schedule.h"

#include <gtest/gtest.h>

namespace ferry::sync {
namespace {

// 2026-11-25 00:00:00 UTC, a Wednesday.
constexpr int64_t kWed = 1795564800;

TEST(Schedule, Rates) {
  auto s = Schedule::Parse("rate(1 hour)");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->is_rate());
  EXPECT_EQ(s->NextRun(0, kWed, kWed), kWed);
  EXPECT_EQ(s->NextRun(kWed, kWed + 10, kWed), kWed + 3600);
  EXPECT_EQ(Schedule::Parse("rate(15 minutes)")->NextRun(kWed, kWed, kWed), kWed + 900);
  EXPECT_EQ(Schedule::Parse("rate(2 days)")->NextRun(kWed, kWed, kWed), kWed + 2 * 86400);
}

TEST(Schedule, DailyCron) {
  auto s = Schedule::Parse("cron(0 2 * * ? *)");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->NextCronAfter(kWed), kWed + 2 * 3600);
  EXPECT_EQ(s->NextCronAfter(kWed + 2 * 3600), kWed + 86400 + 2 * 3600);
}

TEST(Schedule, CronFields) {
  // Every 15 minutes on weekdays (2-6 = MON-FRI) from 9 to 17.
  auto s = Schedule::Parse("cron(*/15 9-17 ? * MON-FRI *)");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->NextCronAfter(kWed), kWed + 9 * 3600);
  EXPECT_EQ(s->NextCronAfter(kWed + 9 * 3600), kWed + 9 * 3600 + 900);
  // Friday 17:45 → Monday 09:00.
  int64_t fri = kWed + 2 * 86400;
  EXPECT_EQ(s->NextCronAfter(fri + 17 * 3600 + 45 * 60), fri + 3 * 86400 + 9 * 3600);
  // The first of each month at 00:30, in 2027 only.
  auto monthly = Schedule::Parse("cron(30 0 1 * ? 2027)");
  ASSERT_TRUE(monthly.ok());
  EXPECT_EQ(monthly->NextCronAfter(kWed), 1798763400);  // 2027-01-01 00:30 UTC
}

TEST(Schedule, RejectsBadExpressions) {
  for (const char* bad :
       {"rate(0 hours)", "rate(1 fortnight)", "every hour", "cron(0 2 * * *)", "cron(61 * * * ? *)",
        "cron(0 2 L * ? *)", "cron(0 2 ? * ? *)", "cron(0 2 * FOO ? *)"}) {
    EXPECT_FALSE(Schedule::Parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace ferry::sync
