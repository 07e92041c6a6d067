// S3 error answers on the client side: the parts of an <Error> document, whether an answer is
// worth retrying, and the Status an answer maps to (the server side builds its errors in
// errors.h). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "ferry/status.h"

namespace ferry::s3 {

// <Error><Code/><Message/><Resource/><RequestId/>...</Error> (also a DeleteResult entry).
struct ErrorResponse {
  std::string code;
  std::string message;
  std::string resource;
  std::string request_id;
  std::string key;  // <Key> of NoSuchKey errors and DeleteResult entries
};

// Whether an S3 answer is worth retrying: 5xx other than 501, 429, and the codes S3 and its
// clones use for throttling and transient failures (SlowDown, RequestTimeout, InternalError,
// ServiceUnavailable, Throttling...). Never 403/404 and other 4xx.
bool IsRetryableS3Error(int http_status, std::string_view code);

// The Status for an error answer: category from the code (NoSuch* → NotFound, AccessDenied/
// InvalidAccessKeyId/SignatureDoesNotMatch → PermissionDenied, PreconditionFailed/
// BucketNotEmpty → PreconditionFailed, BucketAlready* → AlreadyExists, BadDigest →
// Corruption, 5xx → Unavailable, ...) falling back to the HTTP status; message
// "<status> <Code>: <Message>"; WithS3Code(code, status) and the retryable bit set. An empty
// code (HEAD answers have no body) is derived from the status: 404 NotFound, 403 AccessDenied,
// 412 PreconditionFailed, 304 NotModified, 5xx InternalError/ServiceUnavailable.
Status StatusFromS3Error(int http_status, std::string_view code, std::string_view message);
// The same for a parsed <Error> body received with http_status. A 200 answer carrying an
// error is given the status S3 would have used (500 for InternalError, 503 for SlowDown, ...).
Status StatusFromErrorResponse(int http_status, const ErrorResponse& error);

}  // namespace ferry::s3
