#include "core/periodic_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace ferry {
namespace {

using std::chrono::milliseconds;

TEST(PeriodicThreadTest, RunsTheTaskAgainAfterEachInterval) {
  std::atomic<int> runs{0};
  PeriodicThread thread;
  thread.Start(milliseconds(5), [&] { ++runs; });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (runs < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  thread.Stop();
  const int seen = runs;
  EXPECT_GE(seen, 3);
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(runs, seen);  // stopped for good
}

TEST(PeriodicThreadTest, StopCutsALongWaitShort) {
  std::atomic<int> runs{0};
  PeriodicThread thread;
  thread.Start(std::chrono::hours(1), [&] { ++runs; });
  while (runs == 0) std::this_thread::sleep_for(milliseconds(1));
  const auto started = std::chrono::steady_clock::now();
  thread.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_TRUE(thread.stopping());
}

TEST(PeriodicThreadTest, ATaskSeesTheStopAndTheDestructorJoins) {
  std::atomic<bool> saw_stop{false};
  {
    PeriodicThread thread;
    thread.Start(milliseconds(1), [&] {
      while (!thread.stopping()) std::this_thread::sleep_for(milliseconds(1));
      saw_stop = true;
    });
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(saw_stop);
}

}  // namespace
}  // namespace ferry
