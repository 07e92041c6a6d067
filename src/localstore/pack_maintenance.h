// Pack clean-up, run by a bucket's maintenance pass (see pack_store.h):
//   - a retired pack with no live bytes left is removed from the index and unlinked;
//   - the sparsest retired pack that is less than half live is compacted: its live bodies are
//     copied into the active pack and their rows moved there (a row changed meanwhile is left
//     alone), after which it is empty and is removed by a later pass.
// Runs on the maintainer thread only.
#pragma once

#include "ferry/result.h"
#include "localstore/bucket.h"
#include "sqlite/db.h"

namespace ferry::local {

// One pass; db is a connection for the maintainer's reads. Returns whether more work may
// remain (the caller asks for another pass).
Result<bool> CleanPacks(Bucket& bucket, sqlite::Db& db);

}  // namespace ferry::local
