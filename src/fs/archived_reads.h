// What the mount does with an archived object (GLACIER, DEEP_ARCHIVE, or INTELLIGENT_TIERING in
// an archive access tier; not restored): it asks
// for a restore (once per object; one already under way is fine) and logs it; then, with
// --on-archived error, the open fails with EAGAIN (errno_of.h), distinct from a missing or
// forbidden file (the mount then answers opens, a round trip each); with --on-archived wait,
// the first read waits until the object can be read (polling, up to --restore-wait; the mount
// keeps answering no opens). Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
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
  // head: the object's HEAD, which says whether its restore takes Days.
  Status RequestOnce(const std::string& bucket, const ObjectMeta& head);
  // Its HEAD when its bytes cannot be read now (x-amz-restore, x-amz-archive-status), else
  // nullopt.
  Result<std::optional<ObjectMeta>> Unreadable(const std::string& bucket, const std::string& key);

  ObjectStore& store_;
  const ArchivedReadPolicy policy_;
  std::mutex mu_;
  std::set<std::string> requested_;  // guarded by mu_: "bucket/key" restores asked for
};

// Whether a failed read was refused because the object is archived.
bool IsArchivedRefusal(const Status& status);

}  // namespace ferry::fs
