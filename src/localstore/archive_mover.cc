#include "localstore/archive_mover.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <optional>

#include "core/thread_pool.h"

namespace ferry::local {

ArchiveMover::ArchiveMover(LocalStore& store, int64_t interval_ns, size_t parallel)
    : store_(store), interval_ns_(interval_ns), parallel_(std::max<size_t>(parallel, 1)) {}

void ArchiveMover::Start() {
  thread_.Start(std::chrono::nanoseconds(interval_ns_), [this] { Pass(); });
}

void ArchiveMover::Pass() {
  auto stats = RunPass();
  if (!stats.ok()) {
    spdlog::warn("archive: {} (the versions stay on this disk; retried in {} ms)",
                 stats.status().ToString(), interval_ns_ / 1'000'000);
  } else if (stats->moved > 0) {
    spdlog::info("archive: moved the bytes of {} versions to the archive tier", stats->moved);
  }
}

Result<ArchiveMoverStats> ArchiveMover::RunPass() {
  FERRY_ASSIGN_OR_RETURN(std::vector<BucketInfo> buckets, store_.ListBuckets());
  std::atomic<uint64_t> moved{0}, failed{0};
  std::mutex error_mu;
  Status first_error;
  std::optional<ThreadPool> pool;  // made when there is something to move
  for (const auto& b : buckets) {
    std::string after;
    for (;;) {
      if (thread_.stopping()) break;
      auto batch = store_.PendingArchiveMoves(b.name, after, 256);
      if (!batch.ok() || batch->empty()) break;
      after = batch->back().key;
      for (auto& version : *batch) {
        if (!pool) pool.emplace(parallel_);
        pool->Submit([&, bucket = b.name, version = std::move(version)] {
          auto done = store_.MoveToArchive(bucket, version);
          if (done.ok()) {
            if (*done) ++moved;
            return;
          }
          ++failed;
          std::lock_guard lock(error_mu);
          if (first_error.ok()) first_error = done.status();
        });
      }
      pool->WaitIdle();
      std::lock_guard lock(error_mu);
      if (!first_error.ok()) break;  // the tier is down: try again next pass
    }
  }
  pool.reset();
  if (!first_error.ok()) return first_error;
  return ArchiveMoverStats{moved.load(), failed.load()};
}

}  // namespace ferry::local
