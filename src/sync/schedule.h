// When a saved sync task runs, in EventBridge's (and DataSync's) schedule expressions:
//
//   rate(30 minutes), rate(1 hour), rate(7 days)      every interval, from the last start
//   cron(0 2 * * ? *)                                  minute hour day-of-month month
//                                                      day-of-week year, in UTC
//
// cron fields take numbers, '*', ranges "a-b", lists "a,b", steps "*/n" and "a-b/n", month
// names (JAN-DEC) and day names (SUN-SAT, 1 = Sunday); '?' stands for "any" in one of the two
// day fields. L, W and # are not supported. Pure; thread-compatible.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>

#include "ferry/result.h"

namespace ferry::sync {

class Schedule {
 public:
  // InvalidArgument naming what is wrong.
  static Result<Schedule> Parse(const std::string& expression);

  // When a task created at created_s is next due, in seconds since the epoch (-1: never),
  // given the start of its last run (0: it never ran) and the time now. Rates: last start +
  // interval, or now for a task that never ran. Cron: the first matching minute after the
  // last start, or after its creation for a task that never ran.
  int64_t NextRun(int64_t last_start_s, int64_t now_s, int64_t created_s) const;
  // The first matching minute strictly after t (cron), in seconds since the epoch; -1 when
  // none within five years.
  int64_t NextCronAfter(int64_t t_s) const;

  const std::string& expression() const { return expression_; }
  bool is_rate() const { return rate_seconds_ > 0; }

 private:
  Schedule() = default;

  std::string expression_;
  int64_t rate_seconds_ = 0;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1-31
  std::bitset<13> months_;         // 1-12
  std::bitset<8> days_of_week_;    // 1-7, Sunday = 1
  bool any_day_of_month_ = true;
  bool any_day_of_week_ = true;
  std::bitset<200> years_;  // 1970 + i
};

}  // namespace ferry::sync
