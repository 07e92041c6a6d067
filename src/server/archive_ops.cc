// The archive tier's API: RestoreObject, and what reads of an archived version see (and, for
// Intelligent-Tiering, the note that it was read). The rules
// (tiers, their times, the state machine) are s3/restore.h's; the restore state is kept with
// the version's headers.
#include "s3/restore.h"
#include "server/access_recorder.h"
#include "server/operations.h"
#include "server/request_body.h"
#include "server/request_headers.h"

namespace ferry::server {

Status RestoreObject(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(std::string xml, ReadWholeBody(op.req, op.body, 64 << 10));
  FERRY_ASSIGN_OR_RETURN(s3::RestoreRequestDoc request, s3::ParseRestoreRequest(xml));
  FERRY_ASSIGN_OR_RETURN(std::string version_id, VersionIdParam(op.req));
  const int64_t now = op.options.clock->NowNanos();
  int http_status = 202;
  auto edited = op.store.EditObjectVersion(
      op.req.bucket, op.req.key, version_id, [&](ObjectHeaders& h) -> Status {
        FERRY_ASSIGN_OR_RETURN(
            s3::RestoreOutcome outcome,
            s3::DecideRestore(h, request, now, op.options.restore_times, op.options.day_ns));
        http_status = outcome.http_status;
        h = std::move(outcome.headers);
        return Status::OK();
      });
  FERRY_RETURN_IF_ERROR(edited.status());
  if (http_status == 202 && op.options.events) {
    op.options.events->Record({.name = "ObjectRestore:Post",
                               .bucket = op.req.bucket,
                               .key = op.req.key,
                               .version_id = edited->version_id,
                               .storage_class = edited->headers.storage_class,
                               .tier = request.tier,
                               .time_ns = now});
  }
  http::Headers h = BaseHeaders(op.req);
  if (!edited->version_id.empty()) h.Add("x-amz-version-id", edited->version_id);
  return SendEmpty(op.req, http_status, op.out, std::move(h));
}

Status CheckArchivedRead(OpContext& op, const ObjectMeta& meta, http::Headers& h, bool head) {
  const int64_t now = op.options.clock->NowNanos();
  if (std::string restore = s3::RestoreHeaderValue(meta.headers, now); !restore.empty()) {
    h.Add("x-amz-restore", restore);
  }
  const std::string_view tier = s3::ArchiveStatusAt(meta.headers, now);
  if (!tier.empty()) h.Add("x-amz-archive-status", std::string(tier));
  if (head) return Status::OK();
  if (!s3::ReadableNow(meta.headers, now)) {
    op.error.elements.push_back({"StorageClass", meta.headers.storage_class});
    if (!tier.empty()) op.error.elements.push_back({"AccessTier", std::string(tier)});
    return Status::PermissionDenied("The operation is not valid for the object's storage class")
        .WithS3Code("InvalidObjectState", 403);
  }
  if (op.options.accesses) op.options.accesses->Record(op.req.bucket, meta);
  return Status::OK();
}

Status CheckCopySourceReadable(OpContext& op, const ObjectMeta& source) {
  if (s3::ReadableNow(source.headers, op.options.clock->NowNanos())) return Status::OK();
  return Status::PermissionDenied(
             "The source object of the COPY action is not in the active tier "
             "and is only stored in Amazon Glacier.")
      .WithS3Code("InvalidObjectState", 403);
}

}  // namespace ferry::server
