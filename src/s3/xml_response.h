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
// status StatusFromErrorResponse (s3/error_status.h) maps it to.
// No entity beyond the predefined five is expanded; no exception escapes. Pure functions;
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/object_store.h"
#include "ferry/result.h"
#include "s3/error_status.h"

namespace ferry::s3 {

// <Error><Code/><Message/><Resource/><RequestId/>...</Error>: ErrorResponse, in
// s3/error_status.h.
// True when body is an XML document whose root element is <Error>.
bool IsErrorDocument(std::string_view body);
// Corruption when body is not an <Error> document.
Result<ErrorResponse> ParseErrorResponse(std::string_view body);

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

// ListVersionsResult: versions and delete markers in document order (by key, newest first).
Result<ListVersionsPage> ParseListVersionsResult(std::string_view body);

// InitiateMultipartUploadResult.
struct InitiateMultipartResult {
  std::string bucket;
  std::string key;
  std::string upload_id;  // never empty on success
};
Result<InitiateMultipartResult> ParseInitiateMultipartUploadResult(std::string_view body);

// CompleteMultipartUploadResult, or the status of an <Error> body. etag may be empty (Ceph
// RGW 16 answers with an empty <ETag>); the object then has to be looked up.
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
