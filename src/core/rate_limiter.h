// RateLimiter: a token bucket shared by every stream of a transfer (`--bwlimit`), so the sum
// of all parallel transfers stays under the limit. Acquire blocks the caller until its bytes
// fit. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

#include "core/clock.h"

namespace ferry {

class RateLimiter {
 public:
  // bytes_per_second > 0. The bucket holds at most `burst` bytes (Default: 1/10 s worth,
  // at least 64 KiB) so idle time is not saved up into a long burst.
  // sleep: how to wait (tests substitute one that advances a ManualClock).
  RateLimiter(uint64_t bytes_per_second, const Clock& clock = SystemClock(),
              std::function<void(int64_t ns)> sleep = {});

  // Blocks until n bytes may pass. n may exceed the burst; it is then spread over time.
  void Acquire(uint64_t n);

  uint64_t bytes_per_second() const { return rate_; }

 private:
  const uint64_t rate_;
  const double burst_;
  const Clock& clock_;
  std::function<void(int64_t ns)> sleep_;
  std::mutex mu_;
  double tokens_;    // guarded by mu_; may go negative (debt) for large requests
  int64_t last_ns_;  // guarded by mu_
};

}  // namespace ferry
