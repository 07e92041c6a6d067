// Who may do what in `ferry serve`, as S3 decides it with ACLs:
//
// - A bucket belongs to the user who created it (bucket_documents.h), and so does every object
//   in it, whoever wrote it (S3's Object Ownership "bucket owner enforced"): the owner may do
//   anything with both.
// - Anyone else, a signed user or an anonymous request, may do only what the bucket's ACL
//   (listing, writing objects, its ACL) or an object's ACL (reading it, its ACL) grants them,
//   directly or through the AllUsers and AuthenticatedUsers groups. Configuration (lifecycle,
//   CORS, tags, versioning, ...) and deleting the bucket stay the owner's.
// - A bucket's public access block refuses public ACLs (BlockPublicAcls) and makes its public
//   grants count for nothing (IgnorePublicAcls).
// - `ferry serve --allow-anonymous` grants AllUsers READ on every bucket and object, as if
//   each had a public-read ACL.
#pragma once

#include <optional>
#include <string>

#include "ferry/object_store.h"
#include "s3/acl.h"
#include "s3/public_access_block.h"
#include "s3/xml.h"
#include "server/s3_request.h"
#include "server/s3_server.h"

namespace ferry::server {

// What a request needs.
enum class Access {
  kService,      // ListBuckets, CreateBucket: any signed request
  kBucketRead,   // list objects, versions and uploads; HeadBucket
  kBucketWrite,  // write and delete objects, multipart uploads
  kBucketReadAcp,
  kBucketWriteAcp,
  kObjectRead,  // GetObject, HeadObject, GetObjectAttributes
  kObjectReadAcp,
  kObjectWriteAcp,
  kOwner,  // everything else
};
Access RequiredAccess(const S3Request& req);

class AccessControl {
 public:
  AccessControl(ObjectStore& store, const S3ServerOptions& options)
      : store_(store), options_(options) {}

  // Fills req.user_id (empty when anonymous) and owner (the bucket's owner; for a request
  // without a bucket, the requester), then allows the request or answers AccessDenied. A
  // request naming a bucket that does not exist is allowed: the operation says so. A copy
  // also needs READ on its source (x-amz-copy-source).
  Status Authorize(S3Request& req, s3::Owner& owner) const;
  // Whether the request's signer (already in req) may write objects into req.bucket: a
  // browser's form upload, whose policy is signed instead of the request.
  Status AuthorizeWrite(S3Request& req, s3::Owner& owner) const;

  // A user's display name (empty for an unknown id).
  std::string DisplayName(std::string_view user_id) const;

  // The ACL a write asks for (x-amz-acl, x-amz-grant-*), nullopt when none. Its users must
  // exist (InvalidArgument), and where the bucket blocks public ACLs a public one is refused
  // (AccessDenied).
  Result<std::optional<s3::Acl>> RequestedAcl(const S3Request& req) const;
  // Checks an ACL to be set on req.bucket or one of its objects, as RequestedAcl does.
  Status CheckSettable(const S3Request& req, const s3::Acl& acl) const;

  Result<s3::Acl> BucketAcl(const std::string& bucket) const;
  // The bucket's public access block: all false when it has none.
  Result<s3::PublicAccessBlock> PublicAccessBlockOf(const std::string& bucket) const;

 private:
  // The bucket's owner; nullopt when the bucket does not exist.
  Result<std::optional<std::string>> ExistingOwner(const std::string& bucket) const;
  // Whether req's requester may do `need` in bucket (owned by owner_id): its owner anything,
  // others what a grant allows.
  Status Allow(const S3Request& req, const std::string& owner_id, const std::string& bucket,
               const std::string& key, const std::string& version_id, Access need) const;
  Status CheckGrant(const std::string& bucket, const std::string& key,
                    const std::string& version_id, Access need, const s3::Requester& who) const;
  Status CheckCopySource(const S3Request& req) const;

  ObjectStore& store_;
  const S3ServerOptions& options_;
};

}  // namespace ferry::server
