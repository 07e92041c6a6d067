// Start-up and shutdown bookkeeping of a store root (see doc/LOCAL_STORE.md):
//   ROOT/.ferry/format  the layout name and version, checked at start;
//   ROOT/.ferry/lock    flock'ed for the life of a store, so one process owns a root;
//   ROOT/.ferry/dirty   present while a store is open; found at start, it means the last run
//                       did not shut down cleanly, and stray blobs must be swept;
//   ROOT/.ferry/tmp/, ROOT/.ferry/trash/   scratch space emptied at every start.
// Functions of one store's start and close; not for concurrent use on one root.
#pragma once

#include <cstdint>

#include "ferry/result.h"
#include "localstore/bucket.h"
#include "localstore/fs_util.h"

namespace ferry::local {

inline constexpr int kLayoutVersion = 1;

// Creates ROOT/.ferry and checks or writes its format file.
Status PrepareRoot(int root_fd, bool fsync);
// The exclusive lock on ROOT/.ferry/lock; Unavailable if another store holds it.
Result<UniqueFd> LockRoot(int root_fd);
// Empties .ferry/tmp and .ferry/trash (bucket creations and deletions cut short).
Status CleanScratch(int root_fd, bool fsync);
// Creates the dirty marker; returns whether it was already there (unclean shutdown).
Result<bool> MarkDirty(int root_fd, bool fsync);
// Removes the dirty marker.
Status MarkClean(int root_fd, bool fsync);
// Unlinks every blob file of bucket that no object or part references; returns the count.
// REQUIRES: nothing else uses the bucket yet.
Result<uint64_t> SweepStrayBlobs(Bucket& bucket);

}  // namespace ferry::local
