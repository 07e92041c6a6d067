// Clock: the time seam. Code that reads the time takes a Clock so tests can set it.
// Implementations are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

namespace ferry {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, nanoseconds since the Unix epoch.
  virtual int64_t NowNanos() const = 0;
};

// The operating system's realtime clock. Stateless; the returned object lives forever.
const Clock& SystemClock();

// A clock that only moves when told; for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ns) : now_ns_(now_ns) {}
  int64_t NowNanos() const override { return now_ns_.load(); }
  void Set(int64_t now_ns) { now_ns_.store(now_ns); }
  void Advance(int64_t delta_ns) { now_ns_.fetch_add(delta_ns); }

 private:
  std::atomic<int64_t> now_ns_;
};

}  // namespace ferry
