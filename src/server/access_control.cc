#include "server/access_control.h"

#include <algorithm>

#include "s3/errors.h"
#include "server/bucket_documents.h"
#include "server/request_headers.h"
#include "server/users.h"

namespace ferry::server {
namespace {

Status Denied() {
  return s3err::AccessDenied("Access Denied");
}

bool IsObjectLevel(Access need) {
  return need == Access::kObjectRead || need == Access::kObjectReadAcp ||
         need == Access::kObjectWriteAcp;
}

s3::Permission PermissionFor(Access need) {
  switch (need) {
    case Access::kBucketWrite:
      return s3::Permission::kWrite;
    case Access::kBucketReadAcp:
    case Access::kObjectReadAcp:
      return s3::Permission::kReadAcp;
    case Access::kBucketWriteAcp:
    case Access::kObjectWriteAcp:
      return s3::Permission::kWriteAcp;
    case Access::kOwner:
      return s3::Permission::kFullControl;
    default:
      return s3::Permission::kRead;
  }
}

bool IsMissing(const Status& st) {
  const std::string& code = st.s3_code();
  return code == "NoSuchKey" || code == "NoSuchVersion" || code == "InvalidArgument";
}

Access BucketAccess(const S3Request& req) {
  const std::string& method = req.http->method;
  if (method == "GET") {
    if (req.HasParam("acl")) return Access::kBucketReadAcp;
    // Any other GET of a bucket is a listing (of objects, versions or uploads).
    static constexpr std::string_view kConfigurations[] = {"location",
                                                           "tagging",
                                                           "lifecycle",
                                                           "cors",
                                                           "intelligent-tiering",
                                                           "object-lock",
                                                           "versioning",
                                                           "policy",
                                                           "policyStatus",
                                                           "publicAccessBlock",
                                                           "website",
                                                           "encryption",
                                                           "replication",
                                                           "logging",
                                                           "notification",
                                                           "accelerate",
                                                           "requestPayment",
                                                           "ownershipControls",
                                                           "analytics",
                                                           "metrics",
                                                           "inventory"};
    for (std::string_view name : kConfigurations) {
      if (req.HasParam(name)) return Access::kOwner;
    }
    return Access::kBucketRead;
  }
  if (method == "HEAD") return Access::kBucketRead;
  if (method == "PUT") {
    if (req.query.empty()) return Access::kService;  // CreateBucket
    if (req.HasParam("acl")) return Access::kBucketWriteAcp;
    return Access::kOwner;
  }
  if (method == "POST" && req.HasParam("delete")) return Access::kBucketWrite;
  return Access::kOwner;
}

Access ObjectAccess(const S3Request& req) {
  const std::string& method = req.http->method;
  const bool upload = req.HasParam("uploadId");
  for (std::string_view owners : {"tagging", "retention", "legal-hold", "restore"}) {
    if (req.HasParam(owners)) return Access::kOwner;
  }
  if (method == "GET" || method == "HEAD") {
    if (req.HasParam("acl")) return Access::kObjectReadAcp;
    if (upload) return Access::kBucketWrite;  // ListParts: the uploader's
    return Access::kObjectRead;
  }
  if (method == "PUT") {
    if (req.HasParam("acl")) return Access::kObjectWriteAcp;
    return Access::kBucketWrite;
  }
  if (method == "DELETE") {
    // As in S3, WRITE lets others delete objects, but not name old versions for good.
    if (req.HasParam("versionId")) return Access::kOwner;
    return Access::kBucketWrite;
  }
  if (method == "POST" && (req.HasParam("uploads") || upload)) return Access::kBucketWrite;
  return Access::kOwner;
}

// A bucket document as T: T{} when the bucket has none (or its store keeps none); one that
// does not parse is the server's fault, never the client's.
template <typename T, typename Parse>
Result<T> ReadDocument(ObjectStore& store, const std::string& bucket, std::string_view name,
                       Parse parse) {
  auto doc = store.GetBucketConfig(bucket, name);
  if (!doc.ok()) {
    if (doc.status().s3_code() == "NotImplemented") return T{};
    return doc.status();
  }
  if (!*doc) return T{};
  Result<T> parsed = parse(**doc);
  if (!parsed.ok()) return s3err::InternalError(parsed.status().message());
  return parsed;
}

// The user who signed the request: the server's own unless a user of --users.
void IdentifyUser(const S3ServerOptions& options, S3Request& req, s3::Owner* as_owner) {
  if (!req.auth) return;
  const auto user =
      options.users ? options.users->ByAccessKey(req.auth->access_key) : std::optional<User>();
  req.user_id = user ? user->id : std::string(kServerUserId);
  if (as_owner) *as_owner = {req.user_id, user ? user->display_name : std::string(kServerUserId)};
}

}  // namespace

Access RequiredAccess(const S3Request& req) {
  if (req.bucket.empty()) return Access::kService;
  return req.key.empty() ? BucketAccess(req) : ObjectAccess(req);
}

std::string AccessControl::DisplayName(std::string_view user_id) const {
  if (options_.users) {
    if (auto u = options_.users->ById(user_id)) return u->display_name;
    return {};
  }
  return user_id == kServerUserId ? std::string(kServerUserId) : std::string();
}

Status AccessControl::Authorize(S3Request& req, s3::Owner& owner) const {
  IdentifyUser(options_, req, &owner);
  const Access need = RequiredAccess(req);
  if (need == Access::kService) return req.auth ? Status::OK() : Denied();
  FERRY_ASSIGN_OR_RETURN(std::optional<std::string> owner_id, ExistingOwner(req.bucket));
  if (!owner_id) return Status::OK();  // no such bucket: the operation says so
  owner = {*owner_id, DisplayName(*owner_id)};
  FERRY_RETURN_IF_ERROR(Allow(req, *owner_id, req.bucket, req.key, req.Param("versionId"), need));
  return CheckCopySource(req);
}

Status AccessControl::AuthorizeWrite(S3Request& req, s3::Owner& owner) const {
  IdentifyUser(options_, req, nullptr);
  FERRY_ASSIGN_OR_RETURN(std::string owner_id, RecordedOwner(store_, req.bucket));
  owner = {owner_id, DisplayName(owner_id)};
  return Allow(req, owner_id, req.bucket, {}, {}, Access::kBucketWrite);
}

Result<std::optional<std::string>> AccessControl::ExistingOwner(const std::string& bucket) const {
  auto recorded = RecordedOwner(store_, bucket);
  if (recorded.ok()) return std::optional<std::string>(*std::move(recorded));
  // Anything but a missing bucket is never allowed for want of knowing.
  if (recorded.status().s3_code() == "NoSuchBucket") return std::optional<std::string>();
  return recorded.status();
}

Status AccessControl::Allow(const S3Request& req, const std::string& owner_id,
                            const std::string& bucket, const std::string& key,
                            const std::string& version_id, Access need) const {
  if (req.auth && req.user_id == owner_id) return Status::OK();
  if (need == Access::kOwner) return Denied();
  s3::Requester who;
  if (req.auth) who.user_id = req.user_id;
  return CheckGrant(bucket, key, version_id, need, who);
}

Status AccessControl::CheckCopySource(const S3Request& req) const {
  auto header = req.http->method == "PUT" ? req.Header("x-amz-copy-source") : std::nullopt;
  if (!header) return Status::OK();
  auto source = ParseCopySource(*header);
  if (!source.ok()) return Status::OK();  // the operation answers a bad header
  FERRY_ASSIGN_OR_RETURN(std::optional<std::string> owner_id, ExistingOwner(source->bucket));
  if (!owner_id) return Status::OK();
  return Allow(req, *owner_id, source->bucket, source->key, source->version_id,
               Access::kObjectRead);
}

Status AccessControl::CheckGrant(const std::string& bucket, const std::string& key,
                                 const std::string& version_id, Access need,
                                 const s3::Requester& who) const {
  FERRY_ASSIGN_OR_RETURN(s3::PublicAccessBlock block, PublicAccessBlockOf(bucket));
  const bool ignore_public = block.ignore_public_acls;
  const s3::Permission wanted = PermissionFor(need);
  // --allow-anonymous: AllUsers READ on every bucket and object.
  const bool everyone_reads = options_.allow_anonymous && !ignore_public;
  if (everyone_reads && wanted == s3::Permission::kRead) return Status::OK();
  if (!IsObjectLevel(need)) {
    FERRY_ASSIGN_OR_RETURN(s3::Acl acl, BucketAcl(bucket));
    return s3::Grants(acl, who, wanted, ignore_public) ? Status::OK() : Denied();
  }
  auto meta = store_.HeadObjectVersion(bucket, key, version_id);
  if (!meta.ok() && !IsMissing(meta.status())) return meta.status();
  if (!meta.ok() || meta->delete_marker) {
    // Who may list the bucket learns that the object is not there; nobody else does.
    FERRY_ASSIGN_OR_RETURN(s3::Acl acl, BucketAcl(bucket));
    return s3::Grants(acl, who, s3::Permission::kRead, ignore_public) ? Status::OK() : Denied();
  }
  auto acl = s3::DecodeAcl(meta->headers.acl);
  if (!acl.ok()) return s3err::InternalError(acl.status().message());
  return s3::Grants(*acl, who, wanted, ignore_public) ? Status::OK() : Denied();
}

Result<s3::Acl> AccessControl::BucketAcl(const std::string& bucket) const {
  return ReadDocument<s3::Acl>(store_, bucket, kAclConfig, s3::DecodeAcl);
}

Result<s3::PublicAccessBlock> AccessControl::PublicAccessBlockOf(const std::string& bucket) const {
  return ReadDocument<s3::PublicAccessBlock>(store_, bucket, kPublicAccessBlockConfig,
                                             s3::ParsePublicAccessBlock);
}

Result<std::optional<s3::Acl>> AccessControl::RequestedAcl(const S3Request& req) const {
  FERRY_ASSIGN_OR_RETURN(std::optional<s3::Acl> acl, s3::AclFromHeaders([&](std::string_view name) {
                           return req.Header(name);
                         }));
  if (acl) FERRY_RETURN_IF_ERROR(CheckSettable(req, *acl));
  return acl;
}

Status AccessControl::CheckSettable(const S3Request& req, const s3::Acl& acl) const {
  for (const s3::Grant& g : acl) {
    if (!g.user_id.empty() && DisplayName(g.user_id).empty()) {
      return Status::InvalidArgument("Invalid id").WithS3Code("InvalidArgument", 400);
    }
  }
  if (!s3::IsPublic(acl)) return Status::OK();
  auto block = PublicAccessBlockOf(req.bucket);
  if (!block.ok()) {
    // A bucket being created has no block yet.
    if (block.status().s3_code() == "NoSuchBucket") return Status::OK();
    return block.status();
  }
  return block->block_public_acls ? Denied() : Status::OK();
}

}  // namespace ferry::server
