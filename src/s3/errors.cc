#include "s3/errors.h"

#include <string>

namespace ferry::s3err {
namespace {

using Code = Status::Code;

Status Make(Code code, std::string_view s3_code, int http, std::string_view msg) {
  return Status(code, msg).WithS3Code(s3_code, http);
}

std::string Join(std::string_view a, std::string_view b) {
  std::string out(a);
  out += b;
  return out;
}

}  // namespace

Status NoSuchBucket(std::string_view bucket) {
  return Make(Code::kNotFound, "NoSuchBucket", 404,
              Join("The specified bucket does not exist: ", bucket));
}
Status NoSuchKey(std::string_view bucket, std::string_view key) {
  return Make(Code::kNotFound, "NoSuchKey", 404,
              Join("The specified key does not exist: ", Join(bucket, Join("/", key))));
}
Status NoSuchVersion(std::string_view key, std::string_view version_id) {
  (void)key;
  (void)version_id;  // the answer names them in elements of their own
  return Make(Code::kNotFound, "NoSuchVersion", 404, "The specified version does not exist.");
}
Status InvalidVersionId(std::string_view version_id) {
  return Make(Code::kInvalidArgument, "InvalidArgument", 400,
              version_id.empty() ? std::string("Version id cannot be the empty string")
                                 : std::string("Invalid version id specified"));
}
Status NoSuchUpload(std::string_view upload_id) {
  return Make(Code::kNotFound, "NoSuchUpload", 404,
              Join("The specified multipart upload does not exist: ", upload_id));
}
Status BucketNotEmpty(std::string_view bucket) {
  return Make(Code::kPreconditionFailed, "BucketNotEmpty", 409,
              Join("The bucket you tried to delete is not empty: ", bucket));
}
Status BucketAlreadyOwnedByYou(std::string_view bucket) {
  return Make(Code::kAlreadyExists, "BucketAlreadyOwnedByYou", 409,
              Join("Your previous request to create the named bucket succeeded: ", bucket));
}
Status InvalidBucketName(std::string_view bucket) {
  return Make(Code::kInvalidArgument, "InvalidBucketName", 400,
              Join("The specified bucket is not valid: ", bucket));
}
Status KeyTooLong(std::string_view key) {
  return Make(Code::kInvalidArgument, "KeyTooLongError", 400,
              Join("Your key is too long: ", key.substr(0, 64)));
}
Status BadDigest(std::string_view what) {
  return Make(Code::kCorruption, "BadDigest", 400, what);
}
Status InvalidDigest(std::string_view what) {
  return Make(Code::kInvalidArgument, "InvalidDigest", 400, what);
}
Status IncompleteBody(std::string_view what) {
  return Make(Code::kInvalidArgument, "IncompleteBody", 400, what);
}
Status EntityTooSmall(std::string_view what) {
  return Make(Code::kInvalidArgument, "EntityTooSmall", 400, what);
}
Status EntityTooLarge(std::string_view what) {
  return Make(Code::kInvalidArgument, "EntityTooLarge", 400, what);
}
Status InvalidPart(std::string_view what) {
  return Make(Code::kInvalidArgument, "InvalidPart", 400, what);
}
Status InvalidPartOrder(std::string_view what) {
  return Make(Code::kInvalidArgument, "InvalidPartOrder", 400, what);
}
Status InvalidRange(std::string_view what) {
  return Make(Code::kInvalidArgument, "InvalidRange", 416, what);
}
Status PreconditionFailed(std::string_view what) {
  return Make(Code::kPreconditionFailed, "PreconditionFailed", 412, what);
}
Status NotModified() {
  return Make(Code::kPreconditionFailed, "NotModified", 304, "Not Modified");
}
Status InvalidArgument(std::string_view what) {
  return Make(Code::kInvalidArgument, "InvalidArgument", 400, what);
}
Status InvalidRequest(std::string_view what) {
  return Make(Code::kInvalidArgument, "InvalidRequest", 400, what);
}
Status MalformedXML(std::string_view what) {
  return Make(Code::kInvalidArgument, "MalformedXML", 400, what);
}
Status MethodNotAllowed(std::string_view what) {
  return Make(Code::kInvalidArgument, "MethodNotAllowed", 405, what);
}
Status NotImplemented(std::string_view what) {
  return Make(Code::kNotImplemented, "NotImplemented", 501, what);
}
Status AccessDenied(std::string_view what) {
  return Make(Code::kPermissionDenied, "AccessDenied", 403, what);
}
Status InvalidAccessKeyId(std::string_view key_id) {
  return Make(Code::kPermissionDenied, "InvalidAccessKeyId", 403,
              Join("The AWS Access Key Id you provided does not exist in our records: ", key_id));
}
Status SignatureDoesNotMatch(std::string_view what) {
  return Make(Code::kPermissionDenied, "SignatureDoesNotMatch", 403, what);
}
Status AuthorizationHeaderMalformed(std::string_view what) {
  return Make(Code::kInvalidArgument, "AuthorizationHeaderMalformed", 400, what);
}
Status AuthorizationQueryParametersError(std::string_view what) {
  return Make(Code::kInvalidArgument, "AuthorizationQueryParametersError", 400, what);
}
Status RequestTimeTooSkewed(std::string_view what) {
  return Make(Code::kPermissionDenied, "RequestTimeTooSkewed", 403, what);
}
Status ContentSha256Mismatch(std::string_view what) {
  return Make(Code::kCorruption, "XAmzContentSHA256Mismatch", 400, what);
}
Status MissingContentLength() {
  return Make(Code::kInvalidArgument, "MissingContentLength", 411,
              "You must provide the Content-Length HTTP header.");
}
Status RequestHeaderSectionTooLarge() {
  return Make(Code::kInvalidArgument, "RequestHeaderSectionTooLarge", 400,
              "Your request header section exceeds the maximum allowed size.");
}
Status InsufficientStorage() {
  return Make(Code::kNoSpace, "InsufficientStorage", 507,
              "There is not enough free space on the server to store this data.");
}
Status InternalErrorForClient() {
  return Make(Code::kInternal, "InternalError", 500,
              "We encountered an internal error. Please try again.");
}
Status InternalError(std::string_view what) {
  return Make(Code::kInternal, "InternalError", 500, what);
}
Status SlowDown(std::string_view what) {
  return Make(Code::kUnavailable, "SlowDown", 503, what).WithRetryable(true);
}

Status ToS3(const Status& status) {
  if (status.ok() || !status.s3_code().empty()) return status;
  switch (status.code()) {
    case Code::kNotFound:
      return status.WithS3Code("NoSuchKey", 404);
    case Code::kInvalidArgument:
      return status.WithS3Code("InvalidArgument", 400);
    case Code::kPreconditionFailed:
      return status.WithS3Code("PreconditionFailed", 412);
    case Code::kPermissionDenied:
      return status.WithS3Code("AccessDenied", 403);
    case Code::kCorruption:
      return status.WithS3Code("BadDigest", 400);
    case Code::kNotImplemented:
      return status.WithS3Code("NotImplemented", 501);
    // The server-side failures below carry the engine's own words (file names, errno text)
    // for the log; a client gets a fixed sentence instead.
    case Code::kUnavailable:
      return Make(Code::kUnavailable, "ServiceUnavailable", 503,
                  "The service is unavailable. Please retry.");
    case Code::kNoSpace:
      return InsufficientStorage();
    default:
      return InternalErrorForClient();
  }
}

}  // namespace ferry::s3err
