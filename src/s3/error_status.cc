#include "s3/error_status.h"

namespace ferry::s3 {
namespace {

using Code = Status::Code;

// Status category and default HTTP status of an S3 error code.
struct CodeInfo {
  std::string_view code;
  Code category;
};

constexpr CodeInfo kCodes[] = {
    {"NoSuchBucket", Code::kNotFound},
    {"NoSuchKey", Code::kNotFound},
    {"NoSuchUpload", Code::kNotFound},
    {"NoSuchVersion", Code::kNotFound},
    {"NotFound", Code::kNotFound},
    {"AccessDenied", Code::kPermissionDenied},
    {"InvalidAccessKeyId", Code::kPermissionDenied},
    {"SignatureDoesNotMatch", Code::kPermissionDenied},
    {"ExpiredToken", Code::kPermissionDenied},
    {"InvalidToken", Code::kPermissionDenied},
    {"TokenRefreshRequired", Code::kPermissionDenied},
    {"AllAccessDisabled", Code::kPermissionDenied},
    {"AccountProblem", Code::kPermissionDenied},
    {"RequestTimeTooSkewed", Code::kPermissionDenied},
    {"BucketAlreadyExists", Code::kAlreadyExists},
    {"BucketAlreadyOwnedByYou", Code::kAlreadyExists},
    {"BucketNotEmpty", Code::kPreconditionFailed},
    {"PreconditionFailed", Code::kPreconditionFailed},
    {"NotModified", Code::kPreconditionFailed},
    {"ConditionalRequestConflict", Code::kPreconditionFailed},
    {"BadDigest", Code::kCorruption},
    {"XAmzContentSHA256Mismatch", Code::kCorruption},
    {"NotImplemented", Code::kNotImplemented},
    {"InsufficientStorage", Code::kNoSpace},
    {"XMinioStorageFull", Code::kNoSpace},
    {"QuotaExceeded", Code::kNoSpace},
    {"InternalError", Code::kUnavailable},
    {"ServiceUnavailable", Code::kUnavailable},
    {"SlowDown", Code::kUnavailable},
    {"RequestTimeout", Code::kUnavailable},
    {"Throttling", Code::kUnavailable},
    {"ThrottlingException", Code::kUnavailable},
    {"RequestThrottled", Code::kUnavailable},
    {"TooManyRequestsException", Code::kUnavailable},
    {"RequestLimitExceeded", Code::kUnavailable},
    {"BandwidthLimitExceeded", Code::kUnavailable},
};

Code CategoryFor(int http_status, std::string_view code) {
  for (const CodeInfo& info : kCodes) {
    if (info.code == code) return info.category;
  }
  if (http_status == 404) return Code::kNotFound;
  if (http_status == 401 || http_status == 403) return Code::kPermissionDenied;
  if (http_status == 409) return Code::kAlreadyExists;
  if (http_status == 304 || http_status == 412) return Code::kPreconditionFailed;
  if (http_status == 501) return Code::kNotImplemented;
  if (http_status == 507) return Code::kNoSpace;
  if (http_status >= 500 || http_status == 429) return Code::kUnavailable;
  return Code::kInvalidArgument;
}

std::string_view DefaultCode(int http_status) {
  switch (http_status) {
    case 304:
      return "NotModified";
    case 400:
      return "BadRequest";
    case 403:
      return "AccessDenied";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "Conflict";
    case 412:
      return "PreconditionFailed";
    case 416:
      return "InvalidRange";
    case 429:
      return "TooManyRequests";
    case 501:
      return "NotImplemented";
    case 503:
      return "ServiceUnavailable";
    case 507:
      return "InsufficientStorage";
    default:
      return http_status >= 500 ? "InternalError" : "UnknownError";
  }
}

// The status S3 answers a code with when it arrives inside a 200 body.
int StatusForCodeIn200(std::string_view code) {
  if (code == "SlowDown" || code == "ServiceUnavailable") return 503;
  if (code == "InternalError") return 500;
  if (code == "RequestTimeout") return 400;
  Code category = CategoryFor(0, code);
  switch (category) {
    case Code::kNotFound:
      return 404;
    case Code::kPermissionDenied:
      return 403;
    case Code::kAlreadyExists:
      return 409;
    case Code::kPreconditionFailed:
      return code == "BucketNotEmpty" ? 409 : 412;
    case Code::kNotImplemented:
      return 501;
    case Code::kNoSpace:
      return 507;
    case Code::kUnavailable:
      return 503;
    default:
      return 400;
  }
}

}  // namespace

bool IsRetryableS3Error(int http_status, std::string_view code) {
  // Not implemented, or no space left: asking again soon changes nothing.
  if (http_status == 501 || http_status == 507) return false;
  if (http_status >= 500 || http_status == 429) return true;
  return CategoryFor(http_status, code) == Code::kUnavailable;
}

Status StatusFromS3Error(int http_status, std::string_view code, std::string_view message) {
  std::string_view c = code.empty() ? DefaultCode(http_status) : code;
  std::string text = std::to_string(http_status) + " " + std::string(c);
  if (!message.empty()) text += ": " + std::string(message);
  return Status(CategoryFor(http_status, c), text)
      .WithS3Code(c, http_status)
      .WithRetryable(IsRetryableS3Error(http_status, c));
}

Status StatusFromErrorResponse(int http_status, const ErrorResponse& error) {
  int status = http_status;
  std::string message = error.message;
  if (http_status / 100 == 2) {
    status = StatusForCodeIn200(error.code);
    message = "(in a " + std::to_string(http_status) + " answer) " + message;
  }
  return StatusFromS3Error(status, error.code, message);
}

}  // namespace ferry::s3
