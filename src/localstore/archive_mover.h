// ArchiveMover: the background pass that moves the bytes of archived versions (GLACIER,
// DEEP_ARCHIVE, whether written so or moved there by a lifecycle rule) from the store's disk to
// its archive tier, a few at a time. An unavailable tier is logged and retried on the next
// pass; the versions stay readable (when restored) from this disk meanwhile. Owns its thread.
#pragma once

#include <cstdint>

#include "core/periodic_thread.h"
#include "localstore/local_store.h"

namespace ferry::local {

struct ArchiveMoverStats {
  uint64_t moved = 0;
  uint64_t failed = 0;
};

class ArchiveMover {
 public:
  ArchiveMover(LocalStore& store, int64_t interval_ns, size_t parallel = 8);
  ArchiveMover(const ArchiveMover&) = delete;
  ArchiveMover& operator=(const ArchiveMover&) = delete;

  void Start();
  void Stop() { thread_.Stop(); }
  // One pass over every bucket now; the first failure, after trying everything.
  Result<ArchiveMoverStats> RunPass();

 private:
  void Pass();

  LocalStore& store_;
  const int64_t interval_ns_;
  const size_t parallel_;
  PeriodicThread thread_;  // last: stopped before the rest goes
};

}  // namespace ferry::local
