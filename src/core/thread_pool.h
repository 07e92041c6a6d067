// ThreadPool: a fixed set of worker threads running queued tasks. Urgent tasks (the parts of
// a file already started) run before normal ones (new files), so work in progress finishes
// first and the number of half-done files stays small. The pool owns its threads: the
// destructor runs what is queued, then joins them. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ferry {

class ThreadPool {
 public:
  explicit ThreadPool(size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  enum class Priority { kNormal, kUrgent };
  void Submit(std::function<void()> task, Priority priority = Priority::kNormal);

  // Blocks while more than `limit` normal tasks wait, so a producer cannot queue without bound.
  void WaitForRoom(size_t limit);
  // Blocks until the queue is empty and no task runs.
  void WaitIdle();

  size_t size() const { return threads_.size(); }

 private:
  void Work();

  std::mutex mu_;
  std::condition_variable work_cv_;           // a task was queued or the pool stops
  std::condition_variable done_cv_;           // a task finished or was taken
  std::deque<std::function<void()>> urgent_;  // guarded by mu_
  std::deque<std::function<void()>> normal_;  // guarded by mu_
  size_t running_ = 0;                        // guarded by mu_
  bool stopping_ = false;                     // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace ferry
