// The S3 errors ferry answers with, as Status values carrying the S3 code and HTTP status.
// Every layer that speaks S3 builds its errors here so the codes and statuses stay consistent.
#pragma once

#include <string_view>

#include "ferry/status.h"

namespace ferry::s3err {

Status NoSuchBucket(std::string_view bucket);
Status NoSuchKey(std::string_view bucket, std::string_view key);
Status NoSuchUpload(std::string_view upload_id);
Status NoSuchVersion(std::string_view key, std::string_view version_id);
// A version id this server could not have given: 400 InvalidArgument.
Status InvalidVersionId(std::string_view version_id);
Status BucketNotEmpty(std::string_view bucket);
Status BucketAlreadyOwnedByYou(std::string_view bucket);
Status InvalidBucketName(std::string_view bucket);
Status KeyTooLong(std::string_view key);
Status BadDigest(std::string_view what);
Status InvalidDigest(std::string_view what);
Status IncompleteBody(std::string_view what);
Status EntityTooSmall(std::string_view what);
Status EntityTooLarge(std::string_view what);
Status InvalidPart(std::string_view what);
Status InvalidPartOrder(std::string_view what);
Status InvalidRange(std::string_view what);
Status PreconditionFailed(std::string_view what);
Status NotModified();
Status InvalidArgument(std::string_view what);
Status InvalidRequest(std::string_view what);
Status MalformedXML(std::string_view what);
Status MethodNotAllowed(std::string_view what);
Status NotImplemented(std::string_view what);
Status AccessDenied(std::string_view what);
Status InvalidAccessKeyId(std::string_view key_id);
Status SignatureDoesNotMatch(std::string_view what);
Status AuthorizationHeaderMalformed(std::string_view what);       // 400
Status AuthorizationQueryParametersError(std::string_view what);  // 400
Status RequestTimeTooSkewed(std::string_view what);
Status ContentSha256Mismatch(std::string_view what);  // XAmzContentSHA256Mismatch
Status MissingContentLength();
Status RequestHeaderSectionTooLarge();
Status InsufficientStorage();  // 507: the disk holding the data is full
Status InternalError(std::string_view what);
// 500 InternalError with AWS's fixed sentence, for answering a failure whose own message is
// only for the log.
Status InternalErrorForClient();
Status SlowDown(std::string_view what);

// Wraps an arbitrary failed Status that carries no S3 code into one that does
// (NotFound → 404 NoSuchKey-free "NotFound", IOError → 500 InternalError, ...). A 5xx answer
// made here carries a fixed message, not the status's own, which may name internal files.
Status ToS3(const Status& status);

}  // namespace ferry::s3err
