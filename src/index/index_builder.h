// Building a listing index from a bucket and keeping it current: a full build lists the
// prefix (and, for POSIX metadata, HEADs every object, many at once); an update lists it again
// and HEADs only objects that are new or whose ETag changed; an update from a sync's task
// report lists nothing and HEADs only the objects the sync wrote.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "ferry/object_store.h"
#include "index/index_reader.h"
#include "index/index_writer.h"

namespace ferry::index {

struct BuildOptions {
  // Read each object's POSIX metadata with a HEAD (else only what a listing says).
  bool read_metadata = true;
  int concurrency = 32;  // HEADs in flight
  // A key left out: the index's own object when it lives under the prefix.
  std::string exclude_key;
  // Called after each page with (entries written, HEADs sent).
  std::function<void(uint64_t, uint64_t)> progress;
};

struct BuildResult {
  IndexInfo info;
  uint64_t heads = 0;     // HEAD requests sent
  uint64_t reused = 0;    // entries whose metadata came from the previous index
  uint64_t removed = 0;   // entries of the previous index no longer in the bucket
  uint64_t vanished = 0;  // objects listed (or reported) but gone when HEADed
};

Result<BuildResult> BuildIndex(ObjectStore& store, const std::string& bucket,
                               const std::string& prefix, const BuildOptions& options,
                               IndexWriter::Sink sink);

// A new index of old's bucket and prefix from a fresh listing, reusing old's metadata for
// objects whose ETag and size are unchanged.
Result<BuildResult> UpdateIndex(ObjectStore& store, IndexReader& old, const BuildOptions& options,
                                IndexWriter::Sink sink);

// A new index of old's bucket and prefix: old's entries with the changes a sync's task report
// (`ferry sync --report`, JSON) records for its destination, which must lie under old's prefix:
// transferred and updated objects are HEADed, deleted ones removed. Other objects are taken
// as they are in old. The new index keeps old's build time: objects others wrote since are
// not in it.
Result<BuildResult> UpdateIndexFromReport(ObjectStore& store, IndexReader& old,
                                          std::string_view report_json, const BuildOptions& options,
                                          IndexWriter::Sink sink);

}  // namespace ferry::index
