// Single-object operations: PutObject, GetObject/HeadObject, CopyObject, DeleteObject,
// GetObjectAttributes.
#include <algorithm>
#include <charconv>
#include <vector>

#include "core/checksum.h"
#include "s3/errors.h"
#include "s3/http_date.h"
#include "s3/http_semantics.h"
#include "s3/xml.h"
#include "server/operations.h"
#include "server/request_body.h"
#include "server/request_headers.h"
#include "server/response.h"

namespace ferry::server {
namespace {

constexpr size_t kCopyBufferBytes = 1 << 20;

// Applies the response-* query overrides of a GET. A value with a line break or NUL would
// write headers of the caller's choosing into the answer: InvalidArgument.
Status ApplyResponseOverrides(const S3Request& req, http::Headers& h, ErrorExtras& extras) {
  static constexpr std::pair<std::string_view, std::string_view> kOverrides[] = {
      {"response-content-type", "Content-Type"},
      {"response-content-language", "Content-Language"},
      {"response-expires", "Expires"},
      {"response-cache-control", "Cache-Control"},
      {"response-content-disposition", "Content-Disposition"},
      {"response-content-encoding", "Content-Encoding"}};
  for (auto [param, header] : kOverrides) {
    auto v = s3::FindQueryParam(req.query, param);
    if (!v) continue;
    if (v->find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
      extras.elements.push_back({"ArgumentName", std::string(param)});
      return s3err::InvalidArgument("Header value cannot hold a line break or NUL");
    }
    h.Set(header, *v);
  }
  return Status::OK();
}

// Sends [start, start + length) of the object, from files without copying where possible.
Status SendBody(ObjectReader& reader, uint64_t start, uint64_t length, http::ResponseWriter& out) {
  auto extents = reader.Extents(start, length);
  if (!extents.empty()) {
    for (const auto& e : extents) {
      if (e.fd >= 0) {
        FERRY_RETURN_IF_ERROR(out.SendFile(e.fd, e.file_offset, e.length));
      } else {
        FERRY_RETURN_IF_ERROR(out.WriteBody(std::span<const char>(e.bytes.data(), e.bytes.size())));
      }
    }
    return Status::OK();
  }
  std::vector<char> buf(std::min<uint64_t>(length, kCopyBufferBytes));
  while (length > 0) {
    auto n =
        reader.ReadAt(start, std::span<char>(buf.data(), std::min<uint64_t>(length, buf.size())));
    if (!n.ok()) return n.status();
    if (*n == 0) return Status::IOError("object ended early");
    FERRY_RETURN_IF_ERROR(out.WriteBody(std::span<const char>(buf.data(), *n)));
    start += *n;
    length -= *n;
  }
  return Status::OK();
}

// Copies [start, start + length) of reader into writer.
Status CopyRange(ObjectReader& reader, uint64_t start, uint64_t length, ObjectWriter& writer) {
  std::vector<char> buf(std::min<uint64_t>(std::max<uint64_t>(length, 1), kCopyBufferBytes));
  while (length > 0) {
    auto n =
        reader.ReadAt(start, std::span<char>(buf.data(), std::min<uint64_t>(length, buf.size())));
    if (!n.ok()) return n.status();
    if (*n == 0) return Status::IOError("copy source ended early");
    FERRY_RETURN_IF_ERROR(writer.Append(std::span<const char>(buf.data(), *n)));
    start += *n;
    length -= *n;
  }
  return Status::OK();
}

// The version id of a new version, for x-amz-version-id: not for a bucket that never had
// versioning, nor for the null version written while versioning is suspended (as S3).
void AddNewVersionHeader(const ObjectMeta& meta, http::Headers& h) {
  if (!meta.version_id.empty() && meta.version_id != "null") {
    h.Add("x-amz-version-id", meta.version_id);
  }
}

}  // namespace

Status DeleteMarkerError(OpContext& op, const ObjectMeta& marker, bool named) {
  op.error.headers.Add("x-amz-delete-marker", "true");
  op.error.headers.Add("x-amz-version-id", marker.version_id);
  if (!named) return s3err::NoSuchKey(op.req.bucket, op.req.key);
  op.error.headers.Add("Last-Modified",
                       s3::FormatHttpDate(s3::NanosToSeconds(marker.last_modified_ns)));
  op.error.headers.Add("Allow", "DELETE");
  op.error.elements.push_back({"Method", op.req.http->method});
  op.error.elements.push_back({"ResourceType", "DeleteMarker"});
  return s3err::MethodNotAllowed("The specified method is not allowed against this resource.");
}

namespace {

// A copy source naming a delete marker by its id is a malformed request to S3, not a 405.
Status CopySourceError(const Status& status) {
  if (status.s3_code() != "MethodNotAllowed") return status;
  return s3err::InvalidRequest(
      "The source of a copy request may not specifically refer to a delete marker by version "
      "id.");
}

// The metadata of the version a read names (latest when version_id is empty); a delete
// marker becomes its error.
Result<ObjectMeta> HeadVersion(OpContext& op, const std::string& version_id) {
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta,
                         op.store.HeadObjectVersion(op.req.bucket, op.req.key, version_id));
  if (meta.delete_marker) return DeleteMarkerError(op, meta, !version_id.empty());
  return meta;
}

}  // namespace

Status PutObject(OpContext& op) {
  const S3Request& req = op.req;
  RequestBody body(req, op.body);
  FERRY_RETURN_IF_ERROR(body.Init());
  PutObjectRequest put;
  put.bucket = req.bucket;
  put.key = req.key;
  FERRY_ASSIGN_OR_RETURN(put.headers, ObjectHeadersFrom(req));
  FERRY_RETURN_IF_ERROR(ApplyRequestedAcl(op, put.headers));
  FERRY_ASSIGN_OR_RETURN(put.content_md5, ContentMd5(req));
  FERRY_ASSIGN_OR_RETURN(put.checksum, RequestedChecksum(req));
  put.size = body.declared_size();
  if (put.size && *put.size > (uint64_t{5} << 30)) {
    return s3err::EntityTooLarge("Your proposed upload exceeds the maximum allowed size");
  }
  FERRY_ASSIGN_OR_RETURN(WriteConditions cond, WriteConditionsFrom(req, op.error));
  put.if_none_match_star = cond.if_none_match_star;
  put.if_match_etag = cond.if_match_etag;
  FERRY_RETURN_IF_ERROR(ApplyObjectLock(op, put.headers));
  FERRY_ASSIGN_OR_RETURN(auto writer, op.store.PutObject(put));
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta, ReceiveInto(body, *writer));
  http::Headers h = BaseHeaders(req);
  h.Add("ETag", s3::QuoteEtag(meta.etag));
  AddChecksumHeaders(meta.checksum, h);
  AddNewVersionHeader(meta, h);
  return SendEmpty(req, 200, op.out, std::move(h));
}

Status GetObject(OpContext& op) {
  const S3Request& req = op.req;
  bool head = req.http->method == "HEAD";
  FERRY_ASSIGN_OR_RETURN(std::string version_id, VersionIdParam(req));
  std::unique_ptr<ObjectReader> reader;
  ObjectMeta head_meta;
  if (head) {
    FERRY_ASSIGN_OR_RETURN(head_meta, HeadVersion(op, version_id));
  } else {
    auto opened = version_id.empty() ? op.store.OpenObject(req.bucket, req.key)
                                     : op.store.OpenObjectVersion(req.bucket, req.key, version_id);
    if (!opened.ok()) {
      const std::string& code = opened.status().s3_code();
      // Find out whether a delete marker is in the way, to say so.
      if (code == "NoSuchKey" || code == "MethodNotAllowed") {
        FERRY_RETURN_IF_ERROR(HeadVersion(op, version_id).status());
      }
      return opened.status();
    }
    reader = std::move(opened).value();
  }
  const ObjectMeta& meta = head ? head_meta : reader->meta();
  Status cond = s3::EvaluateGetConditions(GetConditionsFrom(req), meta.etag, meta.last_modified_ns);
  if (!cond.ok()) {
    if (cond.http_status() == 304) {
      http::Headers h = BaseHeaders(req);
      h.Add("ETag", s3::QuoteEtag(meta.etag));
      h.Add("Last-Modified", s3::FormatHttpDate(s3::NanosToSeconds(meta.last_modified_ns)));
      return SendEmpty(req, 304, op.out, std::move(h));
    }
    return cond;
  }
  std::optional<s3::ByteRange> range;
  http::Headers h = BaseHeaders(req);
  FERRY_RETURN_IF_ERROR(CheckArchivedRead(op, meta, h, head));
  if (req.HasParam("partNumber")) {
    FERRY_ASSIGN_OR_RETURN(int part, PartNumberParam(req, op.error));
    if (meta.parts_count == 0) {
      if (part != 1) return s3err::InvalidRange("The requested partnumber is not satisfiable");
      if (meta.size > 0) range = s3::ByteRange{0, meta.size};
    } else {
      if (part > static_cast<int>(meta.part_sizes.size())) {
        return s3err::InvalidRange("The requested partnumber is not satisfiable");
      }
      uint64_t start = 0;
      for (int i = 0; i < part - 1; ++i) start += meta.part_sizes[i];
      uint64_t len = meta.part_sizes[part - 1];
      if (len > 0) range = s3::ByteRange{start, len};
      h.Add("x-amz-mp-parts-count", std::to_string(meta.parts_count));
    }
  } else if (auto header = req.Header("range")) {
    auto parsed = s3::ParseRange(*header, meta.size);
    if (!parsed.ok()) {
      // Answered here: a 416 names the object's size so the client can ask again.
      ErrorExtras extra;
      extra.headers.Add("Content-Range", s3::UnsatisfiedContentRangeHeader(meta.size));
      SendError(req, parsed.status(), op.out, extra);
      return Status::OK();
    }
    range = *parsed;
  }
  bool checksum_mode = http::EqualsIgnoreCase(req.HeaderOr("x-amz-checksum-mode"), "ENABLED");
  AddObjectHeaders(meta, checksum_mode && !range, h);
  if (meta.parts_count > 0 && !h.Has("x-amz-mp-parts-count") && req.HasParam("partNumber")) {
    h.Add("x-amz-mp-parts-count", std::to_string(meta.parts_count));
  }
  FERRY_RETURN_IF_ERROR(ApplyResponseOverrides(req, h, op.error));
  uint64_t start = range ? range->start : 0;
  uint64_t length = range ? range->length : meta.size;
  if (range) h.Add("Content-Range", s3::ContentRangeHeader(*range, meta.size));
  FERRY_RETURN_IF_ERROR(op.out.WriteHead(range ? 206 : 200, h, length));
  if (head || length == 0) return Status::OK();
  return SendBody(*reader, start, length, op.out);
}

Status CopyObject(OpContext& op) {
  const S3Request& req = op.req;
  FERRY_ASSIGN_OR_RETURN(CopySource src, ParseCopySource(req.HeaderOr("x-amz-copy-source")));
  if (auto src_meta = op.store.HeadObjectVersion(src.bucket, src.key, src.version_id);
      src_meta.ok() && !src_meta->delete_marker) {  // otherwise the copy says what is wrong
    FERRY_RETURN_IF_ERROR(CheckCopySourceReadable(op, *src_meta));
  }
  CopyObjectRequest copy;
  copy.src_bucket = src.bucket;
  copy.src_key = src.key;
  copy.src_version_id = src.version_id;
  copy.dst_bucket = req.bucket;
  copy.dst_key = req.key;
  std::string directive = req.HeaderOr("x-amz-metadata-directive", "COPY");
  if (directive != "COPY" && directive != "REPLACE") {
    return s3err::InvalidArgument("Unknown metadata directive.");
  }
  copy.replace_metadata = directive == "REPLACE";
  FERRY_ASSIGN_OR_RETURN(copy.headers, ObjectHeadersFrom(req));
  FERRY_RETURN_IF_ERROR(ApplyRequestedAcl(op, copy.headers));
  std::string tagging = req.HeaderOr("x-amz-tagging-directive", "COPY");
  if (tagging != "COPY" && tagging != "REPLACE") {
    return s3err::InvalidArgument("Unknown tagging directive.");
  }
  copy.replace_tags = tagging == "REPLACE";
  FERRY_RETURN_IF_ERROR(ApplyObjectLock(op, copy.headers));
  FERRY_ASSIGN_OR_RETURN(auto checksum, RequestedChecksum(req));
  if (checksum) copy.checksum_algorithm = checksum->algorithm;
  if (src.bucket == req.bucket && src.key == req.key && src.version_id.empty() &&
      !copy.replace_metadata && copy.headers.storage_class.empty()) {
    return s3err::InvalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without "
        "changing the object's metadata, storage class, website redirect location or encryption "
        "attributes.");
  }
  copy.if_match = req.HeaderOr("x-amz-copy-source-if-match");
  copy.if_none_match = req.HeaderOr("x-amz-copy-source-if-none-match");
  if (auto v = req.Header("x-amz-copy-source-if-modified-since")) {
    copy.if_modified_since_s = s3::ParseHttpDate(*v);
  }
  if (auto v = req.Header("x-amz-copy-source-if-unmodified-since")) {
    copy.if_unmodified_since_s = s3::ParseHttpDate(*v);
  }
  auto copied = op.store.CopyObject(copy);
  if (!copied.ok()) return CopySourceError(copied.status());
  ObjectMeta meta = std::move(copied).value();
  http::Headers h = BaseHeaders(req);
  AddNewVersionHeader(meta, h);
  if (!src.version_id.empty()) h.Add("x-amz-copy-source-version-id", src.version_id);
  return SendXml(req, 200, s3::CopyObjectResultXml(meta), op.out, std::move(h));
}

Status DeleteObject(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(std::string version_id, VersionIdParam(op.req));
  FERRY_ASSIGN_OR_RETURN(DeleteOutcome outcome,
                         op.store.DeleteObjectVersion(op.req.bucket, op.req.key, version_id,
                                                      DeleteOptionsFrom(op.req)));
  http::Headers h = BaseHeaders(op.req);
  if (!outcome.version_id.empty()) h.Add("x-amz-version-id", outcome.version_id);
  if (outcome.delete_marker) h.Add("x-amz-delete-marker", "true");
  return SendEmpty(op.req, 204, op.out, std::move(h));
}

Status GetObjectAttributes(OpContext& op) {
  const S3Request& req = op.req;
  FERRY_ASSIGN_OR_RETURN(std::string version_id, VersionIdParam(req));
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta, HeadVersion(op, version_id));
  s3::ObjectAttributesSelection sel;
  std::string wanted = req.HeaderOr("x-amz-object-attributes");
  size_t start = 0;
  while (start <= wanted.size()) {
    size_t comma = wanted.find(',', start);
    std::string name = wanted.substr(start, comma - start);
    std::erase(name, ' ');
    if (name == "ETag")
      sel.etag = true;
    else if (name == "Checksum")
      sel.checksum = true;
    else if (name == "ObjectParts")
      sel.object_parts = true;
    else if (name == "StorageClass")
      sel.storage_class = true;
    else if (name == "ObjectSize")
      sel.object_size = true;
    else if (!name.empty())
      return s3err::InvalidArgument("Invalid attribute name specified.");
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (auto v = req.Header("x-amz-max-parts")) sel.max_parts = std::atoi(std::string(*v).c_str());
  if (auto v = req.Header("x-amz-part-number-marker")) {
    sel.part_number_marker = std::atoi(std::string(*v).c_str());
  }
  http::Headers h = BaseHeaders(req);
  h.Add("Last-Modified", s3::FormatHttpDate(s3::NanosToSeconds(meta.last_modified_ns)));
  if (!meta.version_id.empty()) h.Add("x-amz-version-id", meta.version_id);
  return SendXml(req, 200, s3::GetObjectAttributesXml(meta, sel), op.out, std::move(h));
}

// UploadPartCopy lives here because it shares the ranged copy loop.
Status UploadPartCopy(OpContext& op) {
  const S3Request& req = op.req;
  FERRY_ASSIGN_OR_RETURN(CopySource src, ParseCopySource(req.HeaderOr("x-amz-copy-source")));
  FERRY_ASSIGN_OR_RETURN(int part, PartNumberParam(req, op.error));
  auto opened = op.store.OpenObjectVersion(src.bucket, src.key, src.version_id);
  if (!opened.ok()) return CopySourceError(opened.status());
  std::unique_ptr<ObjectReader> reader = std::move(opened).value();
  const ObjectMeta& src_meta = reader->meta();
  FERRY_RETURN_IF_ERROR(CheckCopySourceReadable(op, src_meta));
  s3::GetConditions cond;
  cond.if_match = req.HeaderOr("x-amz-copy-source-if-match");
  cond.if_none_match = req.HeaderOr("x-amz-copy-source-if-none-match");
  cond.if_modified_since = req.HeaderOr("x-amz-copy-source-if-modified-since");
  cond.if_unmodified_since = req.HeaderOr("x-amz-copy-source-if-unmodified-since");
  FERRY_RETURN_IF_ERROR(s3::EvaluateGetConditions(cond, src_meta.etag, src_meta.last_modified_ns,
                                                  s3::ConditionTarget::kCopySource));
  uint64_t start = 0, length = src_meta.size;
  if (auto range_header = req.Header("x-amz-copy-source-range")) {
    FERRY_ASSIGN_OR_RETURN(s3::ByteRange range,
                           s3::ParseCopySourceRange(*range_header, src_meta.size));
    start = range.start;
    length = range.length;
  }
  PartInfo info;
  if (src.version_id.empty() && length > 0) {
    // The store copies the version whose conditions held (pinned by its ETag), server-side
    // where it can (LocalStore links whole blobs instead of copying them).
    UploadPartCopyRequest copy;
    copy.bucket = req.bucket;
    copy.key = req.key;
    copy.upload_id = req.Param("uploadId");
    copy.part_number = part;
    copy.src_bucket = src.bucket;
    copy.src_key = src.key;
    copy.src_etag = src_meta.etag;
    copy.first = start;
    copy.last = start + length - 1;
    FERRY_ASSIGN_OR_RETURN(info, op.store.UploadPartCopy(copy));
    return SendXml(req, s3::CopyPartResultXml(info), op.out);
  }
  UploadPartRequest upload;
  upload.bucket = req.bucket;
  upload.key = req.key;
  upload.upload_id = req.Param("uploadId");
  upload.part_number = part;
  upload.size = length;
  FERRY_ASSIGN_OR_RETURN(auto writer, op.store.UploadPart(upload));
  FERRY_RETURN_IF_ERROR(CopyRange(*reader, start, length, *writer));
  FERRY_ASSIGN_OR_RETURN(ObjectMeta part_meta, writer->Commit());
  info.part_number = part;
  info.etag = part_meta.etag;
  info.size = part_meta.size;
  info.last_modified_ns = part_meta.last_modified_ns;
  info.checksum = part_meta.checksum;
  return SendXml(req, s3::CopyPartResultXml(info), op.out);
}

}  // namespace ferry::server
