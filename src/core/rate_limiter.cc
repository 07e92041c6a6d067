#include "core/rate_limiter.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace ferry {

RateLimiter::RateLimiter(uint64_t bytes_per_second, const Clock& clock,
                         std::function<void(int64_t ns)> sleep)
    : rate_(std::max<uint64_t>(bytes_per_second, 1)),
      burst_(std::max(static_cast<double>(rate_) / 10.0, 65536.0)),
      clock_(clock),
      sleep_(std::move(sleep)),
      tokens_(burst_),
      last_ns_(clock.NowNanos()) {
  if (!sleep_) {
    sleep_ = [](int64_t ns) { std::this_thread::sleep_for(std::chrono::nanoseconds(ns)); };
  }
}

void RateLimiter::Acquire(uint64_t n) {
  int64_t wait_ns = 0;
  {
    std::lock_guard lock(mu_);
    int64_t now = clock_.NowNanos();
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(now - last_ns_) * rate_ / 1e9);
    last_ns_ = now;
    // Take the bytes now (possibly into debt) and wait until the debt is repaid: callers are
    // served in arrival order and none starves.
    tokens_ -= static_cast<double>(n);
    if (tokens_ < 0) wait_ns = static_cast<int64_t>(-tokens_ * 1e9 / rate_);
  }
  if (wait_ns > 0) sleep_(wait_ns);
}

}  // namespace ferry
