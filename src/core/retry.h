// RetryPolicy: the one place that decides whether and when a failed operation is tried again.
//
// An error is retried only when its Status says it is retryable (transport failures, stalls,
// truncated bodies, 5xx, 503 SlowDown, 429, RequestTimeout: the S3 client marks them); a 403
// or 404 is final. Delays grow exponentially from base_delay with "full jitter" (a uniform
// random wait in [0, ceiling]), as AWS's architecture guidance recommends, so many clients
// backing off at once do not retry in lockstep.
//
// Callers that can resume (a ranged GET that received part of its range) keep their progress
// between attempts themselves; the policy only counts and waits. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>

#include "ferry/result.h"

namespace ferry {

struct RetryOptions {
  int max_attempts = 8;           // including the first; Default: 8
  int64_t base_delay_ms = 50;     // ceiling of the first backoff; Default: 50 ms
  int64_t max_delay_ms = 10'000;  // cap of any one backoff; Default: 10 s
  // How to wait; tests substitute a recorder. Default: sleep the calling thread.
  std::function<void(int64_t ms)> sleep;
};

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryOptions options = {});

  // Runs op until it succeeds, fails with a non-retryable status, or attempts run out.
  // op receives the attempt number (0 for the first).
  Status Run(const std::function<Status(int attempt)>& op);

  template <typename T>
  Result<T> RunResult(const std::function<Result<T>(int attempt)>& op) {
    std::optional<T> value;
    Status st = Run([&](int attempt) -> Status {
      auto r = op(attempt);
      if (!r.ok()) return r.status();
      value.emplace(std::move(r).value());
      return Status::OK();
    });
    if (!st.ok()) return st;
    return std::move(*value);
  }

  // Waits before retry number `attempt` (1 for the first retry).
  void Backoff(int attempt);
  int max_attempts() const { return options_.max_attempts; }
  // Retries performed so far by this policy (all callers).
  uint64_t retries() const { return retries_.load(); }

 private:
  RetryOptions options_;
  std::atomic<uint64_t> retries_{0};
  std::mutex rng_mu_;
  std::mt19937_64 rng_;  // guarded by rng_mu_
};

}  // namespace ferry
