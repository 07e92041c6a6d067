// Bringing archived objects (GLACIER, DEEP_ARCHIVE, INTELLIGENT_TIERING's archive access
// tiers) back to where they can be read: requesting
// restores of many objects in parallel, counting what was already restored or under way
// instead of failing on it (so running it twice is harmless), and waiting until all of them
// are readable. Used by `ferry restore` and by cp, sync and train with --restore.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ferry/object_store.h"

namespace ferry::transfer {

struct RestoreSettings {
  int days = 1;
  std::string tier = "Standard";  // Expedited, Standard or Bulk
  size_t parallel = 32;           // requests in flight
  int64_t poll_interval_ns = int64_t{2} * 1'000'000'000;
};

// What asking for one object's restore found.
enum class RestoreResult {
  kRequested,        // a restore started (202)
  kAlreadyRestored,  // readable already; its days renewed (200)
  kInProgress,       // a restore was under way (409 RestoreAlreadyInProgress)
  kNotArchived,      // nothing to restore (403 InvalidObjectState)
  kFailed,
};

struct RestoreTally {
  uint64_t requested = 0;
  uint64_t already_restored = 0;
  uint64_t in_progress = 0;
  uint64_t not_archived = 0;
  uint64_t failed = 0;
  void Add(RestoreResult r);
};

// An object to restore. A restore of an INTELLIGENT_TIERING object carries no Days: it moves
// back to the frequent access tier for good.
struct RestoreTarget {
  std::string key;
  bool intelligent_tiering = false;
};
RestoreTarget TargetOf(const ObjectMeta& meta);

// Whether a listed object's bytes may be unreadable until restored (its class is archived, or
// INTELLIGENT_TIERING, and the listing cannot say whether it may be read now).
bool MayNeedRestore(const ObjectMeta& listed);
// Whether an object's bytes can be read now, from a HEAD's metadata (its x-amz-restore).
bool ReadableNow(const ObjectMeta& head);

using RestoreObserver =
    std::function<void(const std::string& key, RestoreResult result, const Status& status)>;

// Requests a restore of every target, `parallel` at a time; on_each (called from several
// threads, one call at a time) hears each outcome.
RestoreTally RequestRestores(ObjectStore& store, const std::string& bucket,
                             const std::vector<RestoreTarget>& targets,
                             const RestoreSettings& settings, const RestoreObserver& on_each);

// The objects whose bytes cannot be read now (HEAD, `parallel` at a time).
Result<std::vector<RestoreTarget>> Unreadable(ObjectStore& store, const std::string& bucket,
                                              const std::vector<std::string>& keys,
                                              size_t parallel);

// Polls (HEAD, in parallel) until every key is readable. progress(ready, total) after each
// round; Cancelled as soon as interrupted() says so, DeadlineExceeded-like Unavailable after
// timeout_ns (0: none). A key that vanished or fails is an error.
Status WaitReadable(ObjectStore& store, const std::string& bucket,
                    const std::vector<std::string>& keys, const RestoreSettings& settings,
                    int64_t timeout_ns, const std::function<void(size_t, size_t)>& progress,
                    const std::function<bool()>& interrupted);

}  // namespace ferry::transfer
