#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace ferry {
namespace {

TEST(ThreadPool, RunsEverythingAndDrainsOnDestruction) {
  std::atomic<int> count{0};
  {
    ThreadPool pool(4);
    for (int i = 0; i < 1000; ++i) pool.Submit([&] { ++count; });
  }
  EXPECT_EQ(count.load(), 1000);
}

TEST(ThreadPool, UrgentTasksGoFirst) {
  ThreadPool pool(1);
  std::mutex mu;
  std::vector<int> order;
  std::atomic<bool> release{false};
  pool.Submit([&] {
    while (!release) std::this_thread::yield();
  });
  pool.Submit([&] {
    std::lock_guard l(mu);
    order.push_back(1);
  });
  pool.Submit(
      [&] {
        std::lock_guard l(mu);
        order.push_back(2);
      },
      ThreadPool::Priority::kUrgent);
  release = true;
  pool.WaitIdle();
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
}

TEST(ThreadPool, TasksMaySubmitMoreTasks) {
  std::atomic<int> count{0};
  ThreadPool pool(2);
  for (int i = 0; i < 10; ++i) {
    pool.Submit([&] {
      for (int j = 0; j < 10; ++j) pool.Submit([&] { ++count; }, ThreadPool::Priority::kUrgent);
    });
  }
  pool.WaitIdle();
  EXPECT_EQ(count.load(), 100);
}

}  // namespace
}  // namespace ferry
