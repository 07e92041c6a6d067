// LocalStore object operations: head, open, put, delete and list.
#include "localstore/bucket.h"
#include "localstore/bucket_index.h"
#include "store/grouped_listing.h"
#include "localstore/local_reader.h"
#include "localstore/local_store.h"
#include "localstore/local_writer.h"
#include "s3/errors.h"
#include "s3/names.h"

namespace ferry {

using local::Bucket;

Result<ObjectMeta> LocalStore::HeadObject(std::string_view bucket_name, std::string_view key) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(bucket_name));
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(key));
  FERRY_ASSIGN_OR_RETURN(local::DbPool::Lease db, bucket->Reader());
  FERRY_ASSIGN_OR_RETURN(auto row, local::index::GetObject(*db, key, nullptr));
  if (!row) return s3err::NoSuchKey(bucket_name, key);
  if (!bucket->versioned()) row->meta.version_id.clear();
  return std::move(row->meta);
}

Result<std::unique_ptr<ObjectReader>> LocalStore::OpenObject(std::string_view bucket_name,
                                                             std::string_view key,
                                                             const OpenHints& hints) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(bucket_name));
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(key));
  FERRY_ASSIGN_OR_RETURN(auto reader, local::OpenLocalReader(std::move(bucket), key));
  if (!hints.etag.empty() && reader->meta().etag != hints.etag) {
    return s3err::PreconditionFailed(std::string(key) + ": no longer ETag " + hints.etag);
  }
  return reader;
}

Result<std::unique_ptr<ObjectWriter>> LocalStore::PutObject(const PutObjectRequest& req) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(req.bucket));
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(req.key));
  if (req.size && *req.size > local::kMaxPutSize) {
    return s3err::EntityTooLarge("Your proposed upload exceeds the maximum allowed size.");
  }
  local::WriteSpec spec;
  spec.key = req.key;
  spec.headers = req.headers;
  spec.size = req.size;
  spec.content_md5 = req.content_md5;
  spec.checksum = req.checksum;
  spec.if_none_match_star = req.if_none_match_star;
  spec.if_match_etag = req.if_match_etag;
  return std::unique_ptr<ObjectWriter>(new local::LocalWriter(std::move(bucket), std::move(spec)));
}

Status LocalStore::DeleteObject(std::string_view bucket_name, std::string_view key) {
  return DeleteObjectVersion(bucket_name, key, "").status();
}

Result<std::vector<Status>> LocalStore::DeleteObjects(std::string_view bucket_name,
                                                      const std::vector<std::string>& keys) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(bucket_name));
  std::vector<Status> out(keys.size());
  std::vector<local::Garbage> garbage(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) out[i] = s3::ValidateObjectKey(keys[i]);
  FERRY_RETURN_IF_ERROR(bucket->Mutate([&](sqlite::Db& db) -> Status {
    for (size_t i = 0; i < keys.size(); ++i) {
      garbage[i].clear();
      if (!out[i].ok()) continue;
      FERRY_RETURN_IF_ERROR(
          local::index::DeleteObject(db, keys[i], bucket->clock().NowNanos(), &garbage[i])
              .status());
    }
    return Status::OK();
  }));
  for (size_t i = 0; i < keys.size(); ++i) bucket->Collect(keys[i], garbage[i]);
  return out;
}

Result<ListObjectsPage> LocalStore::ListObjects(const ListObjectsRequest& req) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(req.bucket));
  if (req.max_keys < 0) return s3err::InvalidArgument("max-keys must not be negative");
  FERRY_ASSIGN_OR_RETURN(local::DbPool::Lease db, bucket->Reader());
  // One read transaction: the whole page comes from one snapshot.
  FERRY_RETURN_IF_ERROR(db->Exec("BEGIN"));
  ListObjectsPage page;
  Status s = [&]() -> Status {
    local::index::ObjectCursor cursor(db.get());
    FERRY_RETURN_IF_ERROR(cursor.Seek(ListingStart(req.prefix, req.start_after)));
    GroupedListing spec{req.prefix, req.delimiter, req.start_after, req.max_keys};
    FERRY_ASSIGN_OR_RETURN(GroupedResult r,
                           ListGrouped(
                               cursor, spec, [&] { page.objects.push_back(cursor.meta()); },
                               [&](const std::string& p) { page.common_prefixes.push_back(p); }));
    page.truncated = r.truncated;
    page.last = std::move(r.last);
    return Status::OK();
  }();
  (void)db->Exec("COMMIT");
  if (!s.ok()) return s;
  return page;
}

}  // namespace ferry
