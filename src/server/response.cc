#include "server/response.h"

#include "core/checksum.h"
#include "s3/errors.h"
#include "s3/http_date.h"
#include "s3/http_semantics.h"
#include "s3/xml.h"

namespace ferry::server {

http::Headers BaseHeaders(const S3Request& req) {
  http::Headers h;
  h.Add("x-amz-request-id", req.request_id);
  h.Add("x-amz-id-2", req.request_id);
  for (const auto& f : req.cors.fields()) h.Add(f.name, f.value);
  return h;
}

void SendError(const S3Request& req, const Status& status, http::ResponseWriter& out,
               const ErrorExtras& extras) {
  if (out.head_written()) {
    out.CloseAfterResponse();  // too late to say anything; the client sees a short body
    return;
  }
  Status s3 = s3err::ToS3(status);
  http::Headers h = BaseHeaders(req);
  if (s3.http_status() == 304) {
    (void)out.Respond(304, h, {});
    return;
  }
  s3::ErrorDetails details;
  details.request_id = req.request_id;
  if (!req.bucket.empty()) {
    details.resource = "/" + req.bucket + (req.key.empty() ? "" : "/" + req.key);
  }
  if (s3.s3_code() == "NoSuchKey") details.extra.push_back({"Key", req.key});
  if (s3.s3_code() == "NoSuchBucket") details.extra.push_back({"BucketName", req.bucket});
  if (s3.s3_code() == "NoSuchVersion") {
    details.extra.push_back({"Key", req.key});
    details.extra.push_back({"VersionId", req.Param("versionId")});
  }
  for (const auto& e : extras.elements) details.extra.push_back(e);
  if (s3.s3_code() == "InternalError") {
    // The engine's words (file names and ids, errno text) are for the log, not the client.
    s3 = s3err::InternalErrorForClient();
  }
  for (const auto& f : extras.headers.fields()) h.Add(f.name, f.value);
  h.Add("Content-Type", "application/xml");
  if (s3.http_status() >= 500 && req.http->has_body) {
    // The store failed with a body half read: start afresh on a new connection. (After any
    // other error the HTTP layer drops a small unread body, or closes for a large one.)
    out.CloseAfterResponse();
  }
  std::string body = req.http->method == "HEAD" ? std::string() : s3::ErrorXml(s3, details);
  (void)out.Respond(s3.http_status(), h, body);
}

Status SendXml(const S3Request& req, int http_status, const std::string& xml,
               http::ResponseWriter& out, http::Headers headers) {
  (void)req;
  headers.Add("Content-Type", "application/xml");
  return out.Respond(http_status, headers, xml);
}

Status SendEmpty(const S3Request& req, int http_status, http::ResponseWriter& out,
                 http::Headers headers) {
  (void)req;
  return out.Respond(http_status, headers, {});
}

void AddChecksumHeaders(const std::optional<ObjectChecksum>& checksum, http::Headers& headers) {
  if (!checksum || checksum->algorithm == ChecksumAlgorithm::kNone || checksum->value.empty()) {
    return;
  }
  std::string value = checksum->value;
  if (checksum->composite) value += "-" + std::to_string(checksum->parts);
  headers.Add(ChecksumHeaderName(checksum->algorithm), value);
  headers.Add("x-amz-checksum-type", checksum->composite ? "COMPOSITE" : "FULL_OBJECT");
}

void AddObjectHeaders(const ObjectMeta& meta, bool with_checksum, http::Headers& headers) {
  const ObjectHeaders& h = meta.headers;
  headers.Add("ETag", s3::QuoteEtag(meta.etag));
  headers.Add("Last-Modified", s3::FormatHttpDate(s3::NanosToSeconds(meta.last_modified_ns)));
  if (!meta.version_id.empty()) headers.Add("x-amz-version-id", meta.version_id);
  if (!h.tags.empty()) headers.Add("x-amz-tagging-count", std::to_string(h.tags.size()));
  if (!h.lock_mode.empty()) {
    headers.Add("x-amz-object-lock-mode", h.lock_mode);
    headers.Add("x-amz-object-lock-retain-until-date", s3::FormatIso8601(h.lock_until_ns));
  }
  if (h.legal_hold) headers.Add("x-amz-object-lock-legal-hold", *h.legal_hold ? "ON" : "OFF");
  headers.Add("Accept-Ranges", "bytes");
  headers.Add("Content-Type", h.content_type.empty() ? "binary/octet-stream" : h.content_type);
  if (!h.content_encoding.empty()) headers.Add("Content-Encoding", h.content_encoding);
  if (!h.content_disposition.empty()) headers.Add("Content-Disposition", h.content_disposition);
  if (!h.content_language.empty()) headers.Add("Content-Language", h.content_language);
  if (!h.cache_control.empty()) headers.Add("Cache-Control", h.cache_control);
  if (!h.expires.empty()) headers.Add("Expires", h.expires);
  for (const auto& [name, value] : h.user_metadata) headers.Add("x-amz-meta-" + name, value);
  if (!h.storage_class.empty() && h.storage_class != "STANDARD") {
    headers.Add("x-amz-storage-class", h.storage_class);
  }
  if (with_checksum) AddChecksumHeaders(meta.checksum, headers);
}

}  // namespace ferry::server
