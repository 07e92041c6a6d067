// PeriodicThread: one thread that runs a task, waits an interval (cut short by Stop), and runs
// it again, until stopped. The background passes of `ferry serve` (lifecycle rules, archive
// moves) each own one. Thread-safe; the destructor stops and joins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace ferry {

class PeriodicThread {
 public:
  PeriodicThread() = default;
  ~PeriodicThread() { Stop(); }
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  // Starts the thread (a second Start while it runs does nothing).
  void Start(std::chrono::nanoseconds interval, std::function<void()> task);
  // Stops it: a task under way finishes (it may look at stopping() to finish early).
  void Stop();
  bool stopping() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace ferry
