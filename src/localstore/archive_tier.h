// ArchiveTier: where the bytes of archived versions (GLACIER, DEEP_ARCHIVE) live once they
// leave the store's own disk: a directory on another disk (DirectoryArchive) or a bucket on
// another S3 endpoint (StoreArchive), as MinIO's tiering and Ceph's cloud transition do.
//
// A move is crash-safe by its order: the bytes are stored and durable in the tier first, and
// only then does the index commit that names them and drops the local copy. A crash between
// the two leaves an unreferenced copy in the tier (space, never data). Implementations are
// thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ferry/object_store.h"

namespace ferry::local {

class ArchiveTier {
 public:
  virtual ~ArchiveTier() = default;
  // For messages: "/mnt/cold" or "s3://archive/prefix/ at http://...".
  virtual std::string Describe() const = 0;
  // Copies the source's bytes into the tier under a new name, durable when it returns.
  virtual Result<std::string> Store(std::string_view bucket, ObjectReader& source) = 0;
  // Opens what Store kept under name; the reader reports meta. NotFound when it is gone.
  virtual Result<std::unique_ptr<ObjectReader>> Open(std::string_view name, ObjectMeta meta) = 0;
  // A missing name is no error.
  virtual Status Remove(std::string_view name) = 0;
};

// Files under a directory: <root>/<bucket>/<random hex>, written under a temporary name,
// fsynced and renamed into place.
std::unique_ptr<ArchiveTier> NewDirectoryArchive(std::string root, bool fsync = true);

// Objects <prefix><bucket>/<random hex> in a bucket of another store (an S3Store for another
// endpoint). The store must outlive the tier.
std::unique_ptr<ArchiveTier> NewStoreArchive(ObjectStore& store, std::string bucket,
                                             std::string prefix);

}  // namespace ferry::local
