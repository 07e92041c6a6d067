// Building S3 responses: the common headers, XML bodies, error bodies and the headers that
// describe an object.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ferry/object_store.h"
#include "http/server.h"
#include "server/s3_request.h"

namespace ferry::server {

// x-amz-request-id and x-amz-id-2, sent on every response.
http::Headers BaseHeaders(const S3Request& req);

// What an operation adds to its error answer: headers (Content-Range on a 416,
// x-amz-delete-marker on a 404) and elements of the XML body after Message ({"VersionId", v}).
struct ErrorExtras {
  http::Headers headers;
  std::vector<std::pair<std::string, std::string>> elements;
};

// Answers with an S3 XML error (no body for HEAD). Statuses without an S3 code become
// InternalError and the like (s3err::ToS3).
void SendError(const S3Request& req, const Status& status, http::ResponseWriter& out,
               const ErrorExtras& extras = {});

Status SendXml(const S3Request& req, int http_status, const std::string& xml,
               http::ResponseWriter& out, http::Headers headers);
inline Status SendXml(const S3Request& req, const std::string& xml, http::ResponseWriter& out) {
  return SendXml(req, 200, xml, out, BaseHeaders(req));
}
// An empty response (204 for deletes, 200 for most puts).
Status SendEmpty(const S3Request& req, int http_status, http::ResponseWriter& out,
                 http::Headers headers);

// ETag, Last-Modified, Content-Type and the other stored headers, user metadata, storage
// class, and the checksum when with_checksum.
void AddObjectHeaders(const ObjectMeta& meta, bool with_checksum, http::Headers& headers);
// "x-amz-checksum-crc32c: ..." (+ x-amz-checksum-type) for a stored checksum.
void AddChecksumHeaders(const std::optional<ObjectChecksum>& checksum, http::Headers& headers);

}  // namespace ferry::server
