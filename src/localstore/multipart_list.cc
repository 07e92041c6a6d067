// LocalStore ListParts and ListMultipartUploads.
#include <algorithm>

#include "localstore/bucket.h"
#include "localstore/bucket_index.h"
#include "store/grouped_listing.h"
#include "localstore/local_store.h"
#include "s3/errors.h"
#include "s3/names.h"

namespace ferry {

namespace index = local::index;

Result<ListPartsResult> LocalStore::ListParts(const ListPartsRequest& req) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(req.bucket));
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(req.key));
  if (req.max_parts < 0 || req.part_number_marker < 0) {
    return s3err::InvalidArgument("max-parts and part-number-marker must not be negative");
  }
  FERRY_ASSIGN_OR_RETURN(local::DbPool::Lease db, bucket->Reader());
  FERRY_RETURN_IF_ERROR(db->Exec("BEGIN"));
  ListPartsResult out;
  Status s = [&]() -> Status {
    FERRY_ASSIGN_OR_RETURN(auto upload, index::GetUpload(*db, req.upload_id));
    if (!upload || upload->info.key != req.key) return s3err::NoSuchUpload(req.upload_id);
    out.upload = upload->info;
    out.checksum_algorithm = upload->checksum_algorithm;
    int max_parts = std::min(req.max_parts, 10000);
    FERRY_ASSIGN_OR_RETURN(
        auto parts, index::ListParts(*db, req.upload_id, req.part_number_marker, max_parts + 1));
    if (parts.size() > static_cast<size_t>(max_parts)) {
      out.truncated = true;
      parts.resize(static_cast<size_t>(max_parts));
    }
    for (auto& p : parts) out.parts.push_back(std::move(p.info));
    out.next_part_number_marker = out.parts.empty() ? 0 : out.parts.back().part_number;
    return Status::OK();
  }();
  (void)db->Exec("COMMIT");
  if (!s.ok()) return s;
  return out;
}

Result<ListUploadsResult> LocalStore::ListMultipartUploads(const ListUploadsRequest& req) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(req.bucket));
  if (req.max_uploads < 0) return s3err::InvalidArgument("max-uploads must not be negative");
  FERRY_ASSIGN_OR_RETURN(local::DbPool::Lease db, bucket->Reader());
  FERRY_RETURN_IF_ERROR(db->Exec("BEGIN"));
  ListUploadsResult out;
  Status s = [&]() -> Status {
    index::UploadCursor cursor(db.get());
    if (req.key_marker.empty() || req.key_marker < req.prefix) {
      FERRY_RETURN_IF_ERROR(cursor.Seek(req.prefix));
    } else if (req.upload_id_marker.empty()) {
      FERRY_RETURN_IF_ERROR(cursor.Seek(ListingStart(req.prefix, req.key_marker)));
    } else {
      FERRY_RETURN_IF_ERROR(cursor.SeekAfter(req.key_marker, req.upload_id_marker));
    }
    GroupedListing spec{req.prefix, req.delimiter, req.key_marker, req.max_uploads};
    std::string last_upload_id;
    FERRY_ASSIGN_OR_RETURN(GroupedResult r, ListGrouped(
                                                       cursor, spec,
                                                       [&] {
                                                         out.uploads.push_back(cursor.info());
                                                         last_upload_id = cursor.info().upload_id;
                                                       },
                                                       [&](const std::string& p) {
                                                         out.common_prefixes.push_back(p);
                                                         last_upload_id.clear();
                                                       }));
    out.truncated = r.truncated;
    if (r.truncated) {
      out.next_key_marker = std::move(r.last);
      out.next_upload_id_marker = std::move(last_upload_id);
    }
    return Status::OK();
  }();
  (void)db->Exec("COMMIT");
  if (!s.ok()) return s;
  return out;
}

}  // namespace ferry
