// store_bench: PUT throughput of LocalStore from many threads, for tuning the group commit.
// Not a test; prints one line. Usage:
//   store_bench [threads] [puts_per_thread] [size] [fsync 0/1] [checkpoint_wal_pages]
//               [inline_threshold] [pack_threshold]
//   store_bench list <keys>    (listing speed over that many keys)
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "localstore/local_store.h"
#include "testing/store_test_util.h"

namespace {

// store_bench list N: N keys in 1000 directories, then times listings over them.
int ListBench(int n) {
  ferry::testing::TempDir dir;
  ferry::LocalStoreOptions options;
  options.fsync = false;
  auto store = ferry::LocalStore::Open(dir.path() + "/root", ferry::SystemClock(), options);
  if (!store.ok() || !(*store)->CreateBucket("bench").ok()) return 1;
  auto& s = **store;
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) {
    pool.emplace_back([&, t] {
      char key[64];
      for (int i = t; i < n; i += 4) {
        std::snprintf(key, sizeof(key), "dir%03d/file%07d", i % 1000, i);
        auto w = s.PutObject({"bench", key});
        if (w.ok()) (void)(*w)->Commit();
      }
    });
  }
  for (auto& t : pool) t.join();
  auto time = [&](const char* what, ferry::ListObjectsRequest req) {
    auto start = std::chrono::steady_clock::now();
    size_t entries = 0, pages = 0;
    for (;;) {
      auto page = s.ListObjects(req);
      if (!page.ok()) return;
      entries += page->objects.size() + page->common_prefixes.size();
      ++pages;
      if (!page->truncated) break;
      req.start_after = page->last;
    }
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-40s %8zu entries %5zu pages %8.1f ms (%.0f entries/s)\n", what, entries, pages,
                ms, entries / ms * 1000);
  };
  std::printf("%d keys\n", n);
  time("all keys, pages of 1000", {"bench"});
  time("delimiter '/' at the root", {"bench", "", "/"});
  time("prefix dir500/", {"bench", "dir500/"});
  time("prefix dir5, delimiter '/'", {"bench", "dir5", "/"});
  time("start-after dir700/, to the end", {"bench", "", "", "dir700/", 1000});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 && std::string(argv[1]) == "list") return ListBench(std::atoi(argv[2]));
  int threads = argc > 1 ? std::atoi(argv[1]) : 16;
  int per_thread = argc > 2 ? std::atoi(argv[2]) : 500;
  size_t size = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 64 * 1024;
  bool fsync = argc > 4 ? std::atoi(argv[4]) != 0 : true;
  ferry::testing::TempDir dir;
  ferry::LocalStoreOptions options;
  options.fsync = fsync;
  if (argc > 5) options.checkpoint_wal_pages = std::atoi(argv[5]);
  if (argc > 6) options.inline_threshold = std::strtoull(argv[6], nullptr, 10);
  if (argc > 7) options.pack_threshold = std::strtoull(argv[7], nullptr, 10);
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
