// Access control lists of buckets and objects, a bucket's public access block, and whether a
// bucket is public (access_control.h says what they allow).
#include "s3/acl.h"
#include "s3/errors.h"
#include "s3/public_access_block.h"
#include "server/operations.h"
#include "server/request_body.h"
#include "server/response.h"

namespace ferry::server {
namespace {

constexpr size_t kMaxAclBodyBytes = 64 << 10;

Result<std::string> ReadBody(OpContext& op) {
  return ReadWholeBody(op.req, op.body, kMaxAclBodyBytes);
}

// The ACL a PutBucketAcl or PutObjectAcl sets: from its headers or its body, not both.
Result<s3::Acl> AclToSet(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(std::optional<s3::Acl> from_headers, op.access.RequestedAcl(op.req));
  FERRY_ASSIGN_OR_RETURN(std::string body, ReadBody(op));
  if (from_headers) {
    if (!body.empty()) {
      return Status::InvalidArgument("This request does not support content")
          .WithS3Code("UnexpectedContent", 400);
    }
    return *std::move(from_headers);
  }
  if (body.empty()) {
    return Status::InvalidArgument("Your request was missing a required header")
        .WithS3Code("MissingSecurityHeader", 400);
  }
  FERRY_ASSIGN_OR_RETURN(s3::Acl acl, s3::ParseAccessControlPolicy(body, op.owner.id));
  FERRY_RETURN_IF_ERROR(op.access.CheckSettable(op.req, acl));
  return acl;
}

Status SendAcl(OpContext& op, const s3::Acl& acl) {
  return SendXml(op.req,
                 s3::AccessControlPolicyXml(
                     op.owner, acl, [&](std::string_view id) { return op.access.DisplayName(id); }),
                 op.out);
}

}  // namespace

Status ApplyRequestedAcl(OpContext& op, ObjectHeaders& headers) {
  FERRY_ASSIGN_OR_RETURN(std::optional<s3::Acl> acl, op.access.RequestedAcl(op.req));
  headers.acl = acl ? s3::EncodeAcl(*acl) : std::string();
  return Status::OK();
}

Status GetBucketAcl(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(BucketInfo info, op.store.HeadBucket(op.req.bucket));
  (void)info;
  FERRY_ASSIGN_OR_RETURN(s3::Acl acl, op.access.BucketAcl(op.req.bucket));
  return SendAcl(op, acl);
}

Status PutBucketAcl(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(BucketInfo info, op.store.HeadBucket(op.req.bucket));
  (void)info;
  FERRY_ASSIGN_OR_RETURN(s3::Acl acl, AclToSet(op));
  std::optional<std::string> doc;
  if (!acl.empty()) doc = s3::EncodeAcl(acl);
  FERRY_RETURN_IF_ERROR(op.store.SetBucketConfig(op.req.bucket, kAclConfig, doc));
  return SendEmpty(op.req, 200, op.out, BaseHeaders(op.req));
}

Status GetObjectAcl(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta, HeadNamedVersion(op));
  auto acl = s3::DecodeAcl(meta.headers.acl);
  if (!acl.ok()) return s3err::InternalError(acl.status().message());
  return SendAcl(op, *acl);
}

Status PutObjectAcl(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(s3::Acl acl, AclToSet(op));
  const std::string encoded = s3::EncodeAcl(acl);
  return EditVersionAndAnswer(op, 200, [&](ObjectHeaders& h) {
    h.acl = encoded;
    return Status::OK();
  });
}

Status PutPublicAccessBlock(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(std::string body, ReadBody(op));
  FERRY_ASSIGN_OR_RETURN(s3::PublicAccessBlock block, s3::ParsePublicAccessBlock(body));
  FERRY_RETURN_IF_ERROR(op.store.SetBucketConfig(op.req.bucket, kPublicAccessBlockConfig,
                                                 s3::PublicAccessBlockXml(block)));
  return SendEmpty(op.req, 200, op.out, BaseHeaders(op.req));
}

Status GetPublicAccessBlock(OpContext& op) {
  return SendBucketDocument(
      op, kPublicAccessBlockConfig,
      Status(Status::Code::kNotFound, "The public access block configuration was not found")
          .WithS3Code("NoSuchPublicAccessBlockConfiguration", 404));
}

Status DeletePublicAccessBlock(OpContext& op) {
  return DeleteBucketDocument(op, kPublicAccessBlockConfig);
}

// ferry keeps no bucket policies; as Ceph RGW does, a bucket whose ACL grants AllUsers or
// AuthenticatedUsers anything (and does not ignore such grants) is reported public.
Status GetBucketPolicyStatus(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(BucketInfo info, op.store.HeadBucket(op.req.bucket));
  (void)info;
  FERRY_ASSIGN_OR_RETURN(s3::Acl acl, op.access.BucketAcl(op.req.bucket));
  FERRY_ASSIGN_OR_RETURN(s3::PublicAccessBlock block, op.access.PublicAccessBlockOf(op.req.bucket));
  const bool is_public = s3::IsPublic(acl) && !block.ignore_public_acls;
  return SendXml(op.req, s3::PolicyStatusXml(is_public), op.out);
}

}  // namespace ferry::server
