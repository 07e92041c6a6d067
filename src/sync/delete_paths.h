// The deletion phase's mechanics (--delete): entries found at the destination only are
// removed, keys in DeleteObjects batches, local paths deepest first so that a directory is
// emptied before it is removed. Whether to delete at all is deletion_guard.h's and the
// syncer's decision.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ferry/object_store.h"
#include "sync/syncer.h"

namespace ferry::sync {

// names: entry names in key order ("a/b", "a/" for a directory). done is called once per
// name deleted or failed; a local directory still holding entries the sync kept stays, with
// no call.
void DeletePaths(ObjectStore& store, const SyncLocation& dst, const std::vector<std::string>& names,
                 const std::function<void(const std::string& name, const Status& st)>& done);

}  // namespace ferry::sync
