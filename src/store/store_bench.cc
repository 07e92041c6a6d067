// store_bench: PUT throughput of LocalStore from many threads, for tuning the group commit.
// Not a test; prints one line. Usage: store_bench [threads] [puts_per_thread] [size] [fsync]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "store/local_store.h"
#include "store/store_test_util.h"

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 16;
  int per_thread = argc > 2 ? std::atoi(argv[2]) : 500;
  size_t size = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 64 * 1024;
  bool fsync = argc > 4 ? std::atoi(argv[4]) != 0 : true;
  ferry::testing::TempDir dir;
  ferry::LocalStoreOptions options;
  options.fsync = fsync;
  if (argc > 5) options.checkpoint_wal_pages = std::atoi(argv[5]);
  if (argc > 6) options.inline_threshold = std::strtoull(argv[6], nullptr, 10);
  auto store = ferry::LocalStore::Open(dir.path() + "/root", ferry::SystemClock(), options);
  if (!store.ok() || !(*store)->CreateBucket("bench").ok()) return 1;
  std::string body = ferry::testing::Bytes(size, 1);
  std::atomic<int> failures{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        ferry::PutObjectRequest req{"bench", "t" + std::to_string(t) + "/" + std::to_string(i)};
        req.size = body.size();
        auto w = (*store)->PutObject(req);
        if (!w.ok() || !(*w)->Append(std::span<const char>(body.data(), body.size())).ok() ||
            !(*w)->Commit().ok()) {
          failures++;
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto stats = (*store)->stats();
  std::printf(
      "%d threads x %d PUTs of %zu bytes, fsync %s: %.0f PUT/s, %.1f per commit, "
      "%d failures\n",
      threads, per_thread, size, fsync ? "on" : "off", threads * per_thread / secs,
      double(stats.mutations) / double(stats.commits), failures.load());
  return failures.load() == 0 ? 0 : 1;
}
