// Client side of the S3 XML protocol: parsers of the documents an S3 endpoint answers with,
// and the mapping of an S3 error (HTTP status + <Code>) to a Status.
//
// Element names are matched without namespace prefixes and regardless of the xmlns the
// server declared (AWS, Ceph RGW, MinIO and s3rver differ); unknown elements are ignored, so
// newer servers parse. Keys and other text are taken verbatim (whitespace included); numbers
// and booleans are trimmed. When a listing says <EncodingType>url</EncodingType>, the key-like
// fields (Key, Prefix, Delimiter, StartAfter, KeyMarker, NextKeyMarker, CommonPrefixes) are
// decoded as S3 encodes them (form encoding: '+' is a space). ETags are returned without
// quotes. A body that is not well-formed XML, has an unexpected root element, or lacks a
// required element gives a Corruption status; an <Error> document where a result was expected
// (S3 may answer CompleteMultipartUpload and CopyObject with 200 and an error body) gives the
// status StatusFromS3Error maps it to, with http_status 200 replaced by the error's meaning.
// No entity beyond the predefined five is expanded; no exception escapes. Pure functions;
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/object_store.h"
#include "ferry/result.h"

namespace ferry::s3 {

// <Error><Code/><Message/><Resource/><RequestId/>...</Error>.
struct ErrorResponse {
  std::string code;
  std::string message;
  std::string resource;
  std::string request_id;
  std::string key;  // <Key> of NoSuchKey errors and DeleteResult entries
};

// True when body is an XML document whose root element is <Error>.
bool IsErrorDocument(std::string_view body);
// Corruption when body is not an <Error> document.
Result<ErrorResponse> ParseErrorResponse(std::string_view body);

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

// ListAllMyBucketsResult.
Result<std::vector<BucketInfo>> ParseListBucketsResult(std::string_view body);

// ListBucketResult of ListObjectsV2 (also V1: Marker/NextMarker are read when present).
struct ListObjectsV2Result {
  ListObjectsPage page;  // page.last: the last key or common prefix, in listing order
  std::string prefix;
  std::string delimiter;
  std::string start_after;
  std::string continuation_token;
  std::string next_continuation_token;  // set when truncated (V2)
  std::string next_marker;              // V1 only
  int max_keys = 0;
  int key_count = 0;
  bool url_encoded = false;
};
Result<ListObjectsV2Result> ParseListObjectsV2Result(std::string_view body);

// InitiateMultipartUploadResult.
struct InitiateMultipartResult {
  std::string bucket;
  std::string key;
  std::string upload_id;  // never empty on success
};
Result<InitiateMultipartResult> ParseInitiateMultipartUploadResult(std::string_view body);

// CompleteMultipartUploadResult, or the status of an <Error> body.
struct CompleteMultipartResult {
  std::string location;
  std::string bucket;
  std::string key;
  std::string etag;
  std::optional<ObjectChecksum> checksum;  // ChecksumXXX ("value-N": composite, parts = N)
};
Result<CompleteMultipartResult> ParseCompleteMultipartUploadResult(std::string_view body);

// CopyObjectResult or CopyPartResult, or the status of an <Error> body.
struct CopyResult {
  std::string etag;
  int64_t last_modified_ns = 0;
  std::optional<ObjectChecksum> checksum;
};
Result<CopyResult> ParseCopyObjectResult(std::string_view body);
Result<CopyResult> ParseCopyPartResult(std::string_view body);

// ListPartsResult. upload.key/upload_id/storage_class are filled; initiated_ns stays 0.
Result<ListPartsResult> ParseListPartsResult(std::string_view body);

// ListMultipartUploadsResult.
Result<ListUploadsResult> ParseListMultipartUploadsResult(std::string_view body);

// DeleteResult: the keys deleted and the keys that failed with their error.
struct DeleteResultParsed {
  std::vector<std::string> deleted;
  std::vector<ErrorResponse> errors;  // key, code, message
};
Result<DeleteResultParsed> ParseDeleteResult(std::string_view body);

// The inverse of ListingUrlEncode: '+' is a space, %XX a byte. nullopt on a bad escape.
std::optional<std::string> ListingUrlDecode(std::string_view in);

// "<value>" or "<value>-N" of a checksum element or header into an ObjectChecksum.
ObjectChecksum ParseChecksumValue(ChecksumAlgorithm algorithm, std::string_view value,
                                  std::string_view checksum_type = {});

}  // namespace ferry::s3
