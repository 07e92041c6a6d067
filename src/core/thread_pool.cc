#include "core/thread_pool.h"

namespace ferry {

ThreadPool::ThreadPool(size_t threads) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::Submit(std::function<void()> task, Priority priority) {
  {
    std::lock_guard lock(mu_);
    (priority == Priority::kUrgent ? urgent_ : normal_).push_back(std::move(task));
  }
  work_cv_.notify_one();
}

void ThreadPool::WaitForRoom(size_t limit) {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return normal_.size() <= limit; });
}

void ThreadPool::WaitIdle() {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return urgent_.empty() && normal_.empty() && running_ == 0; });
}

void ThreadPool::Work() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stopping_ || !urgent_.empty() || !normal_.empty(); });
    if (urgent_.empty() && normal_.empty()) return;  // stopping, and everything ran
    auto& queue = urgent_.empty() ? normal_ : urgent_;
    std::function<void()> task = std::move(queue.front());
    queue.pop_front();
    ++running_;
    done_cv_.notify_all();
    lock.unlock();
    task();
    lock.lock();
    --running_;
    done_cv_.notify_all();
  }
}

}  // namespace ferry
