// Deleting every object under a prefix, in batches of 1000 keys per request, while listing.
#pragma once

#include <functional>
#include <string>

#include "ferry/object_store.h"

namespace ferry::transfer {

inline constexpr size_t kDeleteBatch = 1000;

// Deletes (or, with dry_run, only reports) every object under prefix. on_each is called per
// key with its outcome. Returns how many were deleted, or the first listing or request
// failure; per-key failures are reported through on_each and make the result a failure too.
Result<uint64_t> DeletePrefix(
    ObjectStore& store, const std::string& bucket, const std::string& prefix, bool dry_run,
    const std::function<void(const std::string& key, const Status&)>& on_each);

}  // namespace ferry::transfer
