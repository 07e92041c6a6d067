// LocalStore's object versions: the bucket's versioning status, reads and deletes of one
// version, and the listing of all versions (version_index.cc has the statements).
#include "localstore/bucket.h"
#include "localstore/bucket_index.h"
#include "store/grouped_listing.h"
#include "localstore/local_reader.h"
#include "localstore/local_store.h"
#include "s3/errors.h"
#include "s3/names.h"

namespace ferry {
namespace {

using local::index::VersionRef;

// A version id as this bucket reads it: an id in a bucket that never had versioning names
// nothing it could have given (InvalidArgument, as S3 answers).
Result<VersionRef> VersionOf(const local::Bucket& bucket, std::string_view version_id) {
  FERRY_ASSIGN_OR_RETURN(VersionRef ref, local::index::ParseVersionId(version_id));
  if (ref.kind == VersionRef::Kind::kSeq && !bucket.versioned()) {
    return s3err::InvalidVersionId(version_id);
  }
  return ref;
}

}  // namespace

Status LocalStore::SetBucketVersioning(std::string_view bucket_name, VersioningStatus status) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(bucket_name));
  if (status == VersioningStatus::kUnversioned) {
    return s3err::MalformedXML("Versioning can be Enabled or Suspended");
  }
  FERRY_RETURN_IF_ERROR(
      bucket->Mutate([&](sqlite::Db& db) { return local::index::SetVersioning(db, status); }));
  bucket->MarkVersioned();
  return Status::OK();
}

Result<VersioningStatus> LocalStore::GetBucketVersioning(std::string_view bucket_name) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(bucket_name));
  FERRY_ASSIGN_OR_RETURN(local::DbPool::Lease db, bucket->Reader());
  return local::index::GetVersioning(*db);
}

Result<ObjectMeta> LocalStore::HeadObjectVersion(std::string_view bucket_name, std::string_view key,
                                                 std::string_view version_id) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(bucket_name));
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(key));
  FERRY_ASSIGN_OR_RETURN(VersionRef ref, VersionOf(*bucket, version_id));
  FERRY_ASSIGN_OR_RETURN(local::DbPool::Lease db, bucket->Reader());
  FERRY_ASSIGN_OR_RETURN(auto row, local::index::GetVersion(*db, key, ref, nullptr));
  if (!row) {
    if (ref.kind == VersionRef::Kind::kLatest) return s3err::NoSuchKey(bucket_name, key);
    return s3err::NoSuchVersion(key, version_id);
  }
  if (!bucket->versioned()) row->meta.version_id.clear();
  return std::move(row->meta);
}

Result<std::unique_ptr<ObjectReader>> LocalStore::OpenObjectVersion(std::string_view bucket_name,
                                                                    std::string_view key,
                                                                    std::string_view version_id,
                                                                    const OpenHints& hints) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(bucket_name));
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(key));
  FERRY_ASSIGN_OR_RETURN(VersionRef ref, VersionOf(*bucket, version_id));
  FERRY_ASSIGN_OR_RETURN(auto reader, local::OpenLocalReader(std::move(bucket), key, ref));
  if (!hints.etag.empty() && reader->meta().etag != hints.etag) {
    return s3err::PreconditionFailed(std::string(key) + ": no longer ETag " + hints.etag);
  }
  return reader;
}

Result<DeleteOutcome> LocalStore::DeleteObjectVersion(std::string_view bucket_name,
                                                      std::string_view key,
                                                      std::string_view version_id,
                                                      const DeleteOptions& options) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(bucket_name));
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(key));
  FERRY_ASSIGN_OR_RETURN(VersionRef ref, VersionOf(*bucket, version_id));
  local::Garbage garbage;
  DeleteOutcome outcome;
  FERRY_RETURN_IF_ERROR(bucket->Mutate([&](sqlite::Db& db) -> Status {
    garbage.clear();
    if (!options.if_match_etag.empty()) {
      FERRY_ASSIGN_OR_RETURN(auto row, local::index::GetVersion(db, key, ref, nullptr));
      if (!row || row->meta.delete_marker || row->meta.etag != options.if_match_etag) {
        return s3err::PreconditionFailed(
            "At least one of the pre-conditions you specified did not hold");
      }
    }
    if (ref.kind == VersionRef::Kind::kLatest) {
      FERRY_ASSIGN_OR_RETURN(
          outcome, local::index::DeleteObject(db, key, bucket->clock().NowNanos(), &garbage));
    } else {
      FERRY_ASSIGN_OR_RETURN(outcome,
                             local::index::DeleteVersion(db, key, ref, bucket->clock().NowNanos(),
                                                         options.bypass_governance, &garbage));
    }
    return Status::OK();
  }));
  bucket->Collect(key, garbage);
  if (!bucket->versioned()) outcome = DeleteOutcome{};
  return outcome;
}

Result<ObjectMeta> LocalStore::EditObjectVersion(std::string_view bucket_name, std::string_view key,
                                                 std::string_view version_id,
                                                 const HeadersEdit& edit,
                                                 std::string_view if_match_etag) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(bucket_name));
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(key));
  FERRY_ASSIGN_OR_RETURN(VersionRef ref, VersionOf(*bucket, version_id));
  local::ObjectRow row;
  FERRY_RETURN_IF_ERROR(bucket->Mutate([&](sqlite::Db& db) -> Status {
    FERRY_ASSIGN_OR_RETURN(
        row, local::index::EditVersion(db, bucket_name, key, ref, edit, if_match_etag));
    return Status::OK();
  }));
  if (!bucket->versioned()) row.meta.version_id.clear();
  return std::move(row.meta);
}

Status LocalStore::SetBucketConfig(std::string_view bucket_name, std::string_view name,
                                   const std::optional<std::string>& document) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(bucket_name));
  return bucket->SetConfig(name, document);
}

Result<std::optional<std::string>> LocalStore::GetBucketConfig(std::string_view bucket_name,
                                                               std::string_view name) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(bucket_name));
  return bucket->Config(name);
}

Result<ListVersionsPage> LocalStore::ListObjectVersions(const ListVersionsRequest& req) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(req.bucket));
  if (req.max_keys < 0) return s3err::InvalidArgument("max-keys cannot be negative");
  if (!req.version_id_marker.empty() && req.key_marker.empty()) {
    return s3err::InvalidArgument("A version-id marker cannot be specified without a key marker.");
  }
  FERRY_ASSIGN_OR_RETURN(VersionRef marker, local::index::ParseVersionId(req.version_id_marker));
  FERRY_ASSIGN_OR_RETURN(local::DbPool::Lease db, bucket->Reader());
  // One read transaction: the whole page comes from one snapshot.
  FERRY_RETURN_IF_ERROR(db->Exec("BEGIN"));
  ListVersionsPage page;
  Status s = [&]() -> Status {
    local::index::VersionCursor cursor(db.get());
    if (marker.kind == VersionRef::Kind::kLatest) {
      FERRY_RETURN_IF_ERROR(cursor.Seek(ListingStart(req.prefix, req.key_marker)));
    } else {
      // Continue inside key_marker, after the marker version (versions of a key run from
      // the newest, and sequences only grow).
      std::optional<uint64_t> after;
      if (marker.kind == VersionRef::Kind::kSeq) after = marker.seq;
      FERRY_RETURN_IF_ERROR(cursor.Seek(std::max<std::string>(req.prefix, req.key_marker)));
      while (cursor.Valid() && cursor.key() == req.key_marker) {
        bool is_marker = cursor.version().meta.version_id == req.version_id_marker;
        if (is_marker) after = cursor.seq();
        if (after && cursor.seq() < *after) break;
        FERRY_RETURN_IF_ERROR(cursor.Next());
      }
    }
    GroupedListing spec{req.prefix, req.delimiter, req.key_marker, req.max_keys};
    bool last_was_version = false;
    FERRY_ASSIGN_OR_RETURN(GroupedResult r, ListGrouped(
                                                       cursor, spec,
                                                       [&] {
                                                         page.versions.push_back(cursor.version());
                                                         last_was_version = true;
                                                       },
                                                       [&](const std::string& p) {
                                                         page.common_prefixes.push_back(p);
                                                         last_was_version = false;
                                                       }));
    page.truncated = r.truncated;
    if (page.truncated) {
      page.next_key_marker = std::move(r.last);
      if (last_was_version) page.next_version_id_marker = page.versions.back().meta.version_id;
    }
    return Status::OK();
  }();
  (void)db->Exec("COMMIT");
  if (!s.ok()) return s;
  if (!bucket->versioned()) {
    for (auto& v : page.versions) v.meta.version_id = "null";
  }
  return page;
}

}  // namespace ferry
