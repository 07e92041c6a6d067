#include "transfer/restore.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/thread_pool.h"
#include "s3/intelligent_tiering.h"
#include "s3/restore.h"

namespace ferry::transfer {
namespace {

// Runs fn(i) for i in [0, n) on `parallel` threads.
void ForEachParallel(size_t n, size_t parallel, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  ThreadPool pool(std::max<size_t>(1, std::min(parallel, n)));
  for (size_t i = 0; i < n; ++i) pool.Submit([&fn, i] { fn(i); });
  pool.WaitIdle();
}

}  // namespace

void RestoreTally::Add(RestoreResult r) {
  switch (r) {
    case RestoreResult::kRequested:
      ++requested;
      break;
    case RestoreResult::kAlreadyRestored:
      ++already_restored;
      break;
    case RestoreResult::kInProgress:
      ++in_progress;
      break;
    case RestoreResult::kNotArchived:
      ++not_archived;
      break;
    case RestoreResult::kFailed:
      ++failed;
      break;
  }
}

RestoreTarget TargetOf(const ObjectMeta& meta) {
  return {meta.key, meta.headers.storage_class == s3::kIntelligentTiering};
}

bool MayNeedRestore(const ObjectMeta& listed) {
  return s3::IsArchivedStorageClass(listed.headers.storage_class) ||
         listed.headers.storage_class == s3::kIntelligentTiering;
}

bool ReadableNow(const ObjectMeta& head) {
  return s3::ReadableNow(head.headers, SystemClock().NowNanos());
}

RestoreTally RequestRestores(ObjectStore& store, const std::string& bucket,
                             const std::vector<RestoreTarget>& targets,
                             const RestoreSettings& settings, const RestoreObserver& on_each) {
  RestoreTally tally;
  std::mutex mu;
  ForEachParallel(targets.size(), settings.parallel, [&](size_t i) {
    RestoreObjectRequest req{.bucket = bucket,
                             .key = targets[i].key,
                             .days = targets[i].intelligent_tiering ? 0 : settings.days,
                             .tier = settings.tier};
    Result<int> answer = store.RestoreObject(req);
    RestoreResult result = RestoreResult::kFailed;
    Status status = answer.status();
    if (answer.ok()) {
      result = *answer == 200 ? RestoreResult::kAlreadyRestored : RestoreResult::kRequested;
    } else if (status.s3_code() == "RestoreAlreadyInProgress") {
      result = RestoreResult::kInProgress;
      status = Status::OK();
    } else if (status.s3_code() == "InvalidObjectState") {
      result = RestoreResult::kNotArchived;
      status = Status::OK();
    }
    std::lock_guard lock(mu);
    tally.Add(result);
    if (on_each) on_each(targets[i].key, result, status);
  });
  return tally;
}

Result<std::vector<RestoreTarget>> Unreadable(ObjectStore& store, const std::string& bucket,
                                              const std::vector<std::string>& keys,
                                              size_t parallel) {
  std::vector<char> ready(keys.size(), 0);
  std::vector<char> tiering(keys.size(), 0);
  std::mutex mu;
  Status first_error;
  ForEachParallel(keys.size(), parallel, [&](size_t i) {
    auto head = store.HeadObject(bucket, keys[i]);
    if (head.ok()) {
      ready[i] = ReadableNow(*head);
      tiering[i] = TargetOf(*head).intelligent_tiering;
      return;
    }
    std::lock_guard lock(mu);
    if (first_error.ok()) first_error = head.status();
  });
  if (!first_error.ok()) return first_error;
  std::vector<RestoreTarget> out;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!ready[i]) out.push_back({keys[i], tiering[i] != 0});
  }
  return out;
}

Status WaitReadable(ObjectStore& store, const std::string& bucket,
                    const std::vector<std::string>& keys, const RestoreSettings& settings,
                    int64_t timeout_ns, const std::function<void(size_t, size_t)>& progress,
                    const std::function<bool()>& interrupted) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> waiting = keys;
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(std::vector<RestoreTarget> unreadable,
                           Unreadable(store, bucket, waiting, settings.parallel));
    waiting.clear();
    for (auto& t : unreadable) waiting.push_back(std::move(t.key));
    if (interrupted && interrupted()) return Status::Cancelled("interrupted");
    if (progress) progress(keys.size() - waiting.size(), keys.size());
    if (waiting.empty()) return Status::OK();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if (timeout_ns > 0 && elapsed >= std::chrono::nanoseconds(timeout_ns)) {
      return Status::Unavailable(std::to_string(waiting.size()) +
                                 " objects are still being restored (timed out waiting)");
    }
    // Sleeps in short steps so an interruption is seen at once.
    const auto wake =
        std::chrono::steady_clock::now() + std::chrono::nanoseconds(settings.poll_interval_ns);
    while (std::chrono::steady_clock::now() < wake) {
      if (interrupted && interrupted()) return Status::Cancelled("interrupted");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

}  // namespace ferry::transfer
