// What the mount does with an archived object (GLACIER, DEEP_ARCHIVE, not restored): it asks
// for a restore (once per object; one already under way is fine) and logs it; then, with
// --on-archived error, the open fails with EAGAIN (errno_of.h), distinct from a missing or
// forbidden file (the mount then answers opens, a round trip each); with --on-archived wait,
// the first read waits until the object can be read (polling, up to --restore-wait; the mount
// keeps answering no opens). Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>

#include "ferry/object_store.h"

namespace ferry::fs {

struct ArchivedReadPolicy {
  bool wait = false;                                     // --on-archived wait (else error)
  int64_t wait_ns = int64_t{12} * 3600 * 1'000'000'000;  // --restore-wait
  std::string tier = "Standard";
  int days = 1;
  int64_t poll_ns = int64_t{2} * 1'000'000'000;
};

class ArchivedReads {
 public:
  ArchivedReads(ObjectStore& store, ArchivedReadPolicy policy)
      : store_(store), policy_(std::move(policy)) {}

  // Called when a read of bucket/key failed as archived: OK when it is readable now (read
  // again), else InvalidObjectState.
  Status Handle(const std::string& bucket, const std::string& key);
  // At an open (--on-archived error): OK when readable now, else a restore is asked for and
  // the answer is InvalidObjectState (EAGAIN).
  Status CheckOpen(const std::string& bucket, const std::string& key);

 private:
  Status RequestOnce(const std::string& bucket, const std::string& key);
  // Whether its bytes can be read now (a HEAD's x-amz-restore).
  Result<bool> ReadableNow(const std::string& bucket, const std::string& key);

  ObjectStore& store_;
  const ArchivedReadPolicy policy_;
  std::mutex mu_;
  std::set<std::string> requested_;  // guarded by mu_: "bucket/key" restores asked for
};

// Whether a failed read was refused because the object is archived.
bool IsArchivedRefusal(const Status& status);

}  // namespace ferry::fs
