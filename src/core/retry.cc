#include "core/retry.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace ferry {

RetryPolicy::RetryPolicy(RetryOptions options)
    : options_(std::move(options)), rng_(std::random_device{}()) {
  if (!options_.sleep) {
    options_.sleep = [](int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
  }
  options_.max_attempts = std::max(1, options_.max_attempts);
}

void RetryPolicy::Backoff(int attempt) {
  int shift = std::min(attempt - 1, 30);
  int64_t ceiling = std::min(options_.max_delay_ms, options_.base_delay_ms << shift);
  int64_t delay;
  {
    std::lock_guard lock(rng_mu_);
    delay = std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(ceiling, 0))(rng_);
  }
  retries_.fetch_add(1);
  options_.sleep(delay);
}

Status RetryPolicy::Run(const std::function<Status(int attempt)>& op) {
  Status st;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) Backoff(attempt);
    st = op(attempt);
    if (st.ok() || !st.retryable()) return st;
  }
  return st.Annotate("gave up after " + std::to_string(options_.max_attempts) + " attempts");
}

}  // namespace ferry
