// LifecycleWorker: applies each bucket's lifecycle rules in the background, as S3 does once a
// day: moves versions to colder storage classes, expires current versions (a delete marker in
// a versioned bucket), removes noncurrent versions and lone delete markers, and aborts
// incomplete multipart uploads; and moves INTELLIGENT_TIERING versions that idled long enough
// into the archive access tiers its Intelligent-Tiering configurations name (and restored ones
// back out). Each action is conditional on the ETag the pass examined, so
// a write racing with the pass is never expired or moved in its place. Owns its thread;
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/periodic_thread.h"
#include "ferry/object_store.h"
#include "s3/intelligent_tiering.h"
#include "s3/lifecycle.h"
#include "server/access_recorder.h"
#include "server/event_log.h"

namespace ferry::server {

struct LifecycleWorkerOptions {
  const Clock* clock = &SystemClock();
  int64_t day_ns = int64_t{86400} * 1'000'000'000;
  // Pause between passes; 0: a 24th of a day, between 100 ms and an hour.
  int64_t interval_ns = 0;
  EventLog* events = nullptr;  // may be null
  // Reads noted since the last pass, written before each pass decides what idled; may be null.
  AccessRecorder* accesses = nullptr;
  size_t parallel_actions = 16;
};

struct LifecyclePassStats {
  uint64_t versions = 0;      // examined
  uint64_t transitioned = 0;  // moved to a colder class
  uint64_t expired = 0;       // current versions expired
  uint64_t removed = 0;       // versions and delete markers removed for good
  uint64_t aborted = 0;       // incomplete uploads aborted
  uint64_t tiered = 0;        // INTELLIGENT_TIERING versions moved to an archive access tier
  uint64_t returned = 0;      // restored ones moved back to the frequent access tier
  uint64_t failed = 0;        // actions refused (a racing write, a lock) or failed
};

class LifecycleWorker {
 public:
  LifecycleWorker(ObjectStore& store, LifecycleWorkerOptions options);
  LifecycleWorker(const LifecycleWorker&) = delete;
  LifecycleWorker& operator=(const LifecycleWorker&) = delete;

  void Start();
  void Stop() { thread_.Stop(); }

  // One pass over every bucket now (what the thread runs); also for tests.
  Result<LifecyclePassStats> RunPass();

 private:
  void Pass();
  // The bucket's lifecycle rules and Intelligent-Tiering configurations; nullopt when it has
  // nothing to apply.
  std::optional<
      std::pair<s3::LifecycleConfiguration, std::vector<s3::IntelligentTieringConfiguration>>>
  BucketRules(const std::string& bucket);

  ObjectStore& store_;
  LifecycleWorkerOptions options_;
  PeriodicThread thread_;  // last: stopped before the rest goes
};

}  // namespace ferry::server
