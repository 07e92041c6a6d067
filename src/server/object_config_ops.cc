// What S3 keeps beside an object's data and a bucket's objects: object and bucket tags, and
// Object Lock (a bucket's configuration, a version's retention and legal hold). Bucket
// documents are stored as the XML this server answers with.
#include "s3/errors.h"
#include "s3/http_date.h"
#include "server/operations.h"
#include "server/request_body.h"
#include "server/request_headers.h"
#include "server/response.h"

namespace ferry::server {
namespace {

constexpr size_t kMaxConfigBodyBytes = 64 << 10;
constexpr std::string_view kTaggingConfig = "tagging";
constexpr std::string_view kObjectLockConfig = "object-lock";

Result<std::string> ReadBody(OpContext& op) {
  return ReadWholeBody(op.req, op.body, kMaxConfigBodyBytes);
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void AddVersionHeader(const ObjectMeta& meta, http::Headers& h) {
  if (!meta.version_id.empty()) h.Add("x-amz-version-id", meta.version_id);
}

Status NoLockOnVersion() {
  return Status(Status::Code::kNotFound,
                "The specified object does not have a ObjectLock configuration")
      .WithS3Code("NoSuchObjectLockConfiguration", 404);
}

Status MissingLockConfiguration() {
  return s3err::InvalidRequest("Bucket is missing Object Lock Configuration");
}

}  // namespace

Status EditVersionAndAnswer(OpContext& op, int http_status, const ObjectStore::HeadersEdit& edit) {
  FERRY_ASSIGN_OR_RETURN(std::string version_id, VersionIdParam(op.req));
  auto edited = op.store.EditObjectVersion(op.req.bucket, op.req.key, version_id, edit);
  if (!edited.ok()) {
    if (edited.status().s3_code() == "MethodNotAllowed") {
      op.error.elements.push_back({"Method", op.req.http->method});
      op.error.elements.push_back({"ResourceType", "DeleteMarker"});
    }
    return edited.status();
  }
  http::Headers h = BaseHeaders(op.req);
  AddVersionHeader(*edited, h);
  return SendEmpty(op.req, http_status, op.out, std::move(h));
}

Result<ObjectMeta> HeadNamedVersion(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(std::string version_id, VersionIdParam(op.req));
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta,
                         op.store.HeadObjectVersion(op.req.bucket, op.req.key, version_id));
  if (meta.delete_marker) return DeleteMarkerError(op, meta, /*named=*/true);
  return meta;
}

Result<std::optional<s3::ObjectLockConfiguration>> BucketObjectLock(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(auto doc, op.store.GetBucketConfig(op.req.bucket, kObjectLockConfig));
  if (!doc) return std::optional<s3::ObjectLockConfiguration>();
  FERRY_ASSIGN_OR_RETURN(auto config, s3::ParseObjectLockConfiguration(*doc));
  return std::optional<s3::ObjectLockConfiguration>(std::move(config));
}

Status ApplyObjectLock(OpContext& op, ObjectHeaders& headers) {
  FERRY_ASSIGN_OR_RETURN(auto config, BucketObjectLock(op));
  if (!config) {
    if (!headers.lock_mode.empty() || headers.legal_hold) {
      return s3err::InvalidRequest("Bucket is missing ObjectLockConfiguration");
    }
    return Status::OK();
  }
  if (headers.lock_mode.empty() && !config->default_mode.empty()) {
    headers.lock_mode = config->default_mode;
    headers.lock_until_ns = s3::DefaultRetainUntil(*config, NowNanos());
  }
  return Status::OK();
}

Status EnableObjectLock(OpContext& op) {
  FERRY_RETURN_IF_ERROR(op.store.SetBucketVersioning(op.req.bucket, VersioningStatus::kEnabled));
  return op.store.SetBucketConfig(op.req.bucket, kObjectLockConfig,
                                  s3::ObjectLockConfigurationXml({}));
}

// ---- tags ----

Status PutObjectTagging(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(std::string xml, ReadBody(op));
  FERRY_ASSIGN_OR_RETURN(s3::Tags tags, s3::ParseTaggingXml(xml));
  FERRY_RETURN_IF_ERROR(s3::ValidateTags(tags, s3::kMaxObjectTags));
  return EditVersionAndAnswer(op, 200, [&](ObjectHeaders& h) {
    h.tags = tags;
    return Status::OK();
  });
}

Status GetObjectTagging(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta, HeadNamedVersion(op));
  http::Headers h = BaseHeaders(op.req);
  AddVersionHeader(meta, h);
  return SendXml(op.req, 200, s3::TaggingXml(meta.headers.tags), op.out, std::move(h));
}

Status DeleteObjectTagging(OpContext& op) {
  return EditVersionAndAnswer(op, 204, [](ObjectHeaders& h) {
    h.tags.clear();
    return Status::OK();
  });
}

Status PutBucketTagging(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(std::string xml, ReadBody(op));
  FERRY_ASSIGN_OR_RETURN(s3::Tags tags, s3::ParseTaggingXml(xml));
  for (const auto& [k, v] : tags) {
    if (k.starts_with("aws:")) {
      return Status::InvalidArgument("System tags cannot be added/updated by requester")
          .WithS3Code("InvalidTag", 400);
    }
  }
  FERRY_RETURN_IF_ERROR(s3::ValidateTags(tags, s3::kMaxBucketTags));
  FERRY_RETURN_IF_ERROR(
      op.store.SetBucketConfig(op.req.bucket, kTaggingConfig, s3::TaggingXml(tags)));
  return SendEmpty(op.req, 204, op.out, BaseHeaders(op.req));
}

Status GetBucketTagging(OpContext& op) {
  return SendBucketDocument(
      op, kTaggingConfig,
      Status(Status::Code::kNotFound, "The TagSet does not exist").WithS3Code("NoSuchTagSet", 404));
}

Status DeleteBucketTagging(OpContext& op) {
  return DeleteBucketDocument(op, kTaggingConfig);
}

Status SendBucketDocument(OpContext& op, std::string_view name, const Status& missing) {
  FERRY_ASSIGN_OR_RETURN(auto doc, op.store.GetBucketConfig(op.req.bucket, name));
  if (!doc) return missing;
  return SendXml(op.req, *doc, op.out);
}

Status DeleteBucketDocument(OpContext& op, std::string_view name) {
  FERRY_RETURN_IF_ERROR(op.store.SetBucketConfig(op.req.bucket, name, std::nullopt));
  return SendEmpty(op.req, 204, op.out, BaseHeaders(op.req));
}

// ---- Object Lock ----

Status PutObjectLockConfiguration(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(std::string xml, ReadBody(op));
  FERRY_ASSIGN_OR_RETURN(s3::ObjectLockConfiguration config, s3::ParseObjectLockConfiguration(xml));
  FERRY_ASSIGN_OR_RETURN(VersioningStatus versioning, op.store.GetBucketVersioning(op.req.bucket));
  if (versioning != VersioningStatus::kEnabled) {
    return Status::PreconditionFailed(
               "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
        .WithS3Code("InvalidBucketState", 409);
  }
  FERRY_RETURN_IF_ERROR(op.store.SetBucketConfig(op.req.bucket, kObjectLockConfig,
                                                 s3::ObjectLockConfigurationXml(config)));
  return SendEmpty(op.req, 200, op.out, BaseHeaders(op.req));
}

Status GetObjectLockConfiguration(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(auto config, BucketObjectLock(op));
  if (!config) {
    op.error.elements.push_back({"BucketName", op.req.bucket});
    return Status(Status::Code::kNotFound,
                  "Object Lock configuration does not exist for this bucket")
        .WithS3Code("ObjectLockConfigurationNotFoundError", 404);
  }
  return SendXml(op.req, s3::ObjectLockConfigurationXml(*config), op.out);
}

Status PutObjectRetention(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(auto config, BucketObjectLock(op));
  if (!config) return MissingLockConfiguration();
  FERRY_ASSIGN_OR_RETURN(std::string xml, ReadBody(op));
  FERRY_ASSIGN_OR_RETURN(s3::Retention wanted, s3::ParseRetention(xml));
  const int64_t now = NowNanos();
  if (!wanted.mode.empty() && wanted.until_ns <= now) {
    op.error.elements.push_back({"ArgumentName", "RetainUntilDate"});
    return s3err::InvalidArgument("The retain until date must be in the future!");
  }
  const bool bypass =
      http::EqualsIgnoreCase(op.req.HeaderOr("x-amz-bypass-governance-retention"), "true");
  return EditVersionAndAnswer(op, 200, [&](ObjectHeaders& h) -> Status {
    bool active = !h.lock_mode.empty() && h.lock_until_ns > now;
    // An active retention may be made longer in its mode; anything else
    // needs GOVERNANCE with the bypass, and COMPLIANCE allows nothing else.
    bool keeps = wanted.mode == h.lock_mode && wanted.until_ns >= h.lock_until_ns;
    bool allowed = !active || keeps || (h.lock_mode == "GOVERNANCE" && bypass);
    if (!allowed) {
      return s3err::AccessDenied("Access Denied because object protected by object lock.");
    }
    h.lock_mode = wanted.mode;
    h.lock_until_ns = wanted.until_ns;
    return Status::OK();
  });
}

Status GetObjectRetention(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(auto config, BucketObjectLock(op));
  if (!config) return MissingLockConfiguration();
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta, HeadNamedVersion(op));
  if (meta.headers.lock_mode.empty()) return NoLockOnVersion();
  return SendXml(op.req, s3::RetentionXml({meta.headers.lock_mode, meta.headers.lock_until_ns}),
                 op.out);
}

Status PutObjectLegalHold(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(auto config, BucketObjectLock(op));
  if (!config) return MissingLockConfiguration();
  FERRY_ASSIGN_OR_RETURN(std::string xml, ReadBody(op));
  FERRY_ASSIGN_OR_RETURN(bool on, s3::ParseLegalHold(xml));
  return EditVersionAndAnswer(op, 200, [&](ObjectHeaders& h) {
    h.legal_hold = on;
    return Status::OK();
  });
}

Status GetObjectLegalHold(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(auto config, BucketObjectLock(op));
  if (!config) return MissingLockConfiguration();
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta, HeadNamedVersion(op));
  if (!meta.headers.legal_hold) return NoLockOnVersion();
  return SendXml(op.req, s3::LegalHoldXml(*meta.headers.legal_hold), op.out);
}

}  // namespace ferry::server
