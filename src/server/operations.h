// The S3 operations `ferry serve` answers, one function each, grouped by file:
// bucket_ops.cc (the service, buckets and listings), object_ops.cc (single objects),
// object_config_ops.cc (tags, retention, legal hold), multipart_ops.cc (multipart uploads). Each
// reads its request, calls the ObjectStore and writes the response; a returned error is answered by
// the caller unless a response head was already sent.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "ferry/object_store.h"
#include "http/server.h"
#include "s3/object_lock.h"
#include "s3/sigv4_verifier.h"
#include "s3/xml.h"
#include "server/access_control.h"
#include "server/bucket_documents.h"
#include "server/response.h"
#include "server/s3_request.h"
#include "server/s3_server.h"

namespace ferry::server {

struct OpContext {
  ObjectStore& store;
  const S3Request& req;
  http::BodyReader& body;
  http::ResponseWriter& out;
  // The bucket's owner (for ListBuckets, the caller): shown in listings and ACLs.
  s3::Owner owner;
  const std::string& region;
  const S3ServerOptions& options;  // the clock, the archive's restore times and day length
  // Held while a bucket document is read, changed and written back (one of several
  // Intelligent-Tiering configurations).
  std::mutex& documents_mu;
  const AccessControl& access;  // who may do what; the ACL a write asks for
  ErrorExtras error;            // sent with a failed operation's error answer
};

// The archive tier (archive_ops.cc): RestoreObject, and what GET and HEAD say of an archived
// version (x-amz-restore; GET refused with InvalidObjectState until it is restored).
Status RestoreObject(OpContext& op);
Status CheckArchivedRead(OpContext& op, const ObjectMeta& meta, http::Headers& h, bool head);
// A copy reads its source: an archived one must be restored first (InvalidObjectState).
Status CheckCopySourceReadable(OpContext& op, const ObjectMeta& source);

// Service and buckets.
Status ListBuckets(OpContext& op);
Status CreateBucket(OpContext& op);
Status DeleteBucket(OpContext& op);
Status HeadBucket(OpContext& op);
Status GetBucketLocation(OpContext& op);
Status GetBucketVersioning(OpContext& op);
Status PutBucketVersioning(OpContext& op);
Status ListObjectVersions(OpContext& op);
Status ListObjectsV2(OpContext& op);
Status ListObjectsV1(OpContext& op);
Status DeleteObjects(OpContext& op);
// Answers a bucket sub-resource ferry keeps no configuration for (policy, cors, ...) the way
// S3 answers a bucket that has none.
Status AnswerUnconfigured(OpContext& op, std::string_view subresource);

// Objects.
Status PutObject(OpContext& op);
Status GetObject(OpContext& op);  // also HEAD
Status CopyObject(OpContext& op);
Status DeleteObject(OpContext& op);
Status GetObjectAttributes(OpContext& op);
// What S3 answers when a request meets a delete marker: 404 NoSuchKey for the latest (named
// false), 405 MethodNotAllowed for a marker named by its version id or acted on by a
// sub-resource (tagging, retention, legal hold); both say it is a marker.
Status DeleteMarkerError(OpContext& op, const ObjectMeta& marker, bool named);

// A bucket document kept under `name` (SetBucketConfig): answered as stored, or `missing`;
// removed with 204 (object_config_ops.cc).
Status SendBucketDocument(OpContext& op, std::string_view name, const Status& missing);
Status DeleteBucketDocument(OpContext& op, std::string_view name);

// A bucket's lifecycle configuration (lifecycle_ops.cc), kept as kLifecycleConfig.
Status PutBucketLifecycleConfiguration(OpContext& op);
Status GetBucketLifecycleConfiguration(OpContext& op);
Status DeleteBucketLifecycleConfiguration(OpContext& op);

// A bucket's Intelligent-Tiering configurations (intelligent_tiering_ops.cc), kept together
// as one document (kIntelligentTieringConfig).
Status PutBucketIntelligentTieringConfiguration(OpContext& op);
Status GetBucketIntelligentTieringConfiguration(OpContext& op);
Status DeleteBucketIntelligentTieringConfiguration(OpContext& op);
Status ListBucketIntelligentTieringConfigurations(OpContext& op);

// CORS (cors_ops.cc): a bucket's rules (kCorsConfig); the browser's preflight (OPTIONS,
// unauthenticated); and the Access-Control-* headers a request's Origin earns, put in
// req.cors for every answer to it (errors included).
Status PutBucketCors(OpContext& op);
Status GetBucketCors(OpContext& op);
Status DeleteBucketCors(OpContext& op);
Status AnswerPreflight(OpContext& op);
void AddCorsHeaders(ObjectStore& store, S3Request& req);

// A browser's form upload (post_object_ops.cc): POST /bucket with multipart/form-data,
// authorised by the form's SigV4-signed policy, not by the request's signature.
// authorize: whether the form's signer (nullopt: an unsigned form) may write to the bucket.
bool IsPostObject(const S3Request& req);
Status PostObject(OpContext& op, const s3::Verifier& verifier,
                  const std::function<Status(const std::optional<s3::AuthContext>&)>& authorize);

// The version the request names (versionId, else the latest); a delete marker is answered as
// S3 answers it (object_config_ops.cc).
Result<ObjectMeta> HeadNamedVersion(OpContext& op);
// Edits that version's stored headers and answers with http_status and the version's id; a
// delete marker is 405 as S3 answers.
Status EditVersionAndAnswer(OpContext& op, int http_status, const ObjectStore::HeadersEdit& edit);

// Access control lists and public access (acl_ops.cc).
Status GetBucketAcl(OpContext& op);
Status PutBucketAcl(OpContext& op);
Status GetObjectAcl(OpContext& op);
Status PutObjectAcl(OpContext& op);
Status PutPublicAccessBlock(OpContext& op);
Status GetPublicAccessBlock(OpContext& op);
Status DeletePublicAccessBlock(OpContext& op);
Status GetBucketPolicyStatus(OpContext& op);
// Puts the ACL a write asks for (x-amz-acl, x-amz-grant-*) into the headers it stores.
Status ApplyRequestedAcl(OpContext& op, ObjectHeaders& headers);

// Tags and Object Lock (object_config_ops.cc).
Status PutObjectTagging(OpContext& op);
Status GetObjectTagging(OpContext& op);
Status DeleteObjectTagging(OpContext& op);
Status PutBucketTagging(OpContext& op);
Status GetBucketTagging(OpContext& op);
Status DeleteBucketTagging(OpContext& op);
Status PutObjectLockConfiguration(OpContext& op);
Status GetObjectLockConfiguration(OpContext& op);
Status PutObjectRetention(OpContext& op);
Status GetObjectRetention(OpContext& op);
Status PutObjectLegalHold(OpContext& op);
Status GetObjectLegalHold(OpContext& op);
// The bucket's Object Lock configuration, when it has one.
Result<std::optional<s3::ObjectLockConfiguration>> BucketObjectLock(OpContext& op);
// Checks a new version's lock headers against the bucket, and gives it the bucket's default
// retention when it asked for none.
Status ApplyObjectLock(OpContext& op, ObjectHeaders& headers);
// Versioning on and Object Lock enabled (CreateBucket with x-amz-bucket-object-lock-enabled).
Status EnableObjectLock(OpContext& op);

// Multipart uploads.
Status CreateMultipartUpload(OpContext& op);
Status UploadPart(OpContext& op);
Status UploadPartCopy(OpContext& op);
Status CompleteMultipartUpload(OpContext& op);
Status AbortMultipartUpload(OpContext& op);
Status ListParts(OpContext& op);
Status ListMultipartUploads(OpContext& op);

}  // namespace ferry::server
