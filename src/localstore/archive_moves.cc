// LocalStore's side of the archive tier: which versions still wait to move their bytes there,
// and the move itself (archive_tier.h tells why the order makes it crash-safe).
#include "localstore/archive_tier.h"
#include "localstore/bucket.h"
#include "localstore/local_reader.h"
#include "localstore/local_store.h"
#include "s3/errors.h"

namespace ferry {

Result<std::vector<local::index::PendingMove>> LocalStore::PendingArchiveMoves(
    std::string_view bucket_name, std::string_view after, size_t limit) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(bucket_name));
  FERRY_ASSIGN_OR_RETURN(local::DbPool::Lease db, bucket->Reader());
  return local::index::PendingMoves(*db, after, limit);
}

Result<bool> LocalStore::MoveToArchive(std::string_view bucket_name,
                                       const local::index::PendingMove& version) {
  local::ArchiveTier* archive = options_.archive;
  if (!archive) return Status::PreconditionFailed("no archive tier (--archive)");
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(bucket_name));
  FERRY_ASSIGN_OR_RETURN(local::index::VersionRef ref,
                         local::index::ParseVersionId(version.version_id));
  std::string name;
  {
    // Pinned while it is copied: a delete meanwhile cannot pull the bytes away.
    auto reader = local::OpenLocalReader(bucket, version.key, ref);
    if (!reader.ok()) {
      if (reader.status().IsNotFound() || reader.status().s3_code() == "MethodNotAllowed") {
        return false;
      }
      return reader.status();
    }
    if ((*reader)->meta().etag != version.etag) return false;
    FERRY_ASSIGN_OR_RETURN(name, archive->Store(bucket_name, **reader));
  }
  local::Garbage garbage;
  bool moved = false;
  Status committed = bucket->Mutate([&](sqlite::Db& db) -> Status {
    garbage.clear();
    FERRY_ASSIGN_OR_RETURN(
        moved, local::index::DetachBody(db, version.key, ref, version.etag, name, &garbage));
    return Status::OK();
  });
  // A failed commit may still have reached the disk: its copy in the tier stays (space, never
  // data).
  if (!committed.ok()) return committed;
  if (!moved) {
    (void)archive->Remove(name);
    return false;
  }
  bucket->Collect(version.key, garbage);
  return true;
}

}  // namespace ferry
