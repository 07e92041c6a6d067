// Multipart upload operations (UploadPartCopy is in object_ops.cc beside the copy loop).
#include "s3/errors.h"
#include "s3/http_semantics.h"
#include "s3/uri.h"
#include "s3/xml.h"
#include "s3/xml_parse.h"
#include "server/operations.h"
#include "server/request_body.h"
#include "server/request_headers.h"
#include "server/response.h"

namespace ferry::server {
namespace {

// Complete requests list at most 10,000 parts of ~200 bytes each.
constexpr size_t kMaxCompleteBodyBytes = 4 << 20;

}  // namespace

Status CreateMultipartUpload(OpContext& op) {
  const S3Request& req = op.req;
  CreateMultipartRequest create;
  create.bucket = req.bucket;
  create.key = req.key;
  FERRY_ASSIGN_OR_RETURN(create.headers, ObjectHeadersFrom(req));
  FERRY_RETURN_IF_ERROR(ApplyRequestedAcl(op, create.headers));
  FERRY_RETURN_IF_ERROR(ApplyObjectLock(op, create.headers));
  FERRY_ASSIGN_OR_RETURN(auto checksum, RequestedChecksum(req));
  if (checksum) create.checksum_algorithm = checksum->algorithm;
  FERRY_ASSIGN_OR_RETURN(MultipartUploadInfo info, op.store.CreateMultipartUpload(create));
  http::Headers h = BaseHeaders(req);
  if (checksum) {
    h.Add("x-amz-checksum-algorithm", std::string(ChecksumAlgorithmName(checksum->algorithm)));
  }
  return SendXml(req, 200, s3::InitiateMultipartUploadXml(req.bucket, req.key, info.upload_id),
                 op.out, std::move(h));
}

Status UploadPart(OpContext& op) {
  const S3Request& req = op.req;
  FERRY_ASSIGN_OR_RETURN(int part, PartNumberParam(req, op.error));
  RequestBody body(req, op.body);
  FERRY_RETURN_IF_ERROR(body.Init());
  UploadPartRequest upload;
  upload.bucket = req.bucket;
  upload.key = req.key;
  upload.upload_id = req.Param("uploadId");
  upload.part_number = part;
  upload.size = body.declared_size();
  if (upload.size && *upload.size > (uint64_t{5} << 30)) {
    return s3err::EntityTooLarge("Your proposed upload exceeds the maximum allowed size");
  }
  FERRY_ASSIGN_OR_RETURN(upload.content_md5, ContentMd5(req));
  FERRY_ASSIGN_OR_RETURN(upload.checksum, RequestedChecksum(req));
  FERRY_ASSIGN_OR_RETURN(auto writer, op.store.UploadPart(upload));
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta, ReceiveInto(body, *writer));
  http::Headers h = BaseHeaders(req);
  h.Add("ETag", s3::QuoteEtag(meta.etag));
  if (meta.checksum && !meta.checksum->value.empty()) {
    h.Add(ChecksumHeaderName(meta.checksum->algorithm), meta.checksum->value);
  }
  return SendEmpty(req, 200, op.out, std::move(h));
}

Status CompleteMultipartUpload(OpContext& op) {
  const S3Request& req = op.req;
  FERRY_ASSIGN_OR_RETURN(std::string xml, ReadWholeBody(req, op.body, kMaxCompleteBodyBytes));
  CompleteMultipartRequest complete;
  complete.bucket = req.bucket;
  complete.key = req.key;
  complete.upload_id = req.Param("uploadId");
  FERRY_ASSIGN_OR_RETURN(complete.parts, s3::ParseCompleteMultipartUpload(xml));
  FERRY_ASSIGN_OR_RETURN(WriteConditions cond, WriteConditionsFrom(req, op.error));
  complete.if_none_match_star = cond.if_none_match_star;
  complete.if_match_etag = cond.if_match_etag;
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta, op.store.CompleteMultipartUpload(complete));
  std::string host = req.HeaderOr("host", "localhost");
  std::string location =
      "http://" + host + "/" + req.bucket + "/" + s3::UriEncode(req.key, /*encode_slash=*/false);
  http::Headers h = BaseHeaders(req);
  AddChecksumHeaders(meta.checksum, h);
  if (!meta.version_id.empty() && meta.version_id != "null") {
    h.Add("x-amz-version-id", meta.version_id);
  }
  return SendXml(req, 200, s3::CompleteMultipartUploadXml(location, req.bucket, meta), op.out,
                 std::move(h));
}

Status AbortMultipartUpload(OpContext& op) {
  FERRY_RETURN_IF_ERROR(
      op.store.AbortMultipartUpload(op.req.bucket, op.req.key, op.req.Param("uploadId")));
  return SendEmpty(op.req, 204, op.out, BaseHeaders(op.req));
}

Status ListParts(OpContext& op) {
  const S3Request& req = op.req;
  ListPartsRequest list;
  list.bucket = req.bucket;
  list.key = req.key;
  list.upload_id = req.Param("uploadId");
  FERRY_ASSIGN_OR_RETURN(list.part_number_marker,
                         IntQueryParam(req, "part-number-marker", 0, 0, 10000));
  FERRY_ASSIGN_OR_RETURN(list.max_parts, IntQueryParam(req, "max-parts", 1000, 0, 1000));
  FERRY_ASSIGN_OR_RETURN(ListPartsResult result, op.store.ListParts(list));
  return SendXml(req, s3::ListPartsXml(req.bucket, list, result, op.owner), op.out);
}

Status ListMultipartUploads(OpContext& op) {
  const S3Request& req = op.req;
  ListUploadsRequest list;
  list.bucket = req.bucket;
  list.prefix = req.Param("prefix");
  list.delimiter = req.Param("delimiter");
  list.key_marker = req.Param("key-marker");
  list.upload_id_marker = req.Param("upload-id-marker");
  FERRY_ASSIGN_OR_RETURN(list.max_uploads, IntQueryParam(req, "max-uploads", 1000, 0, 1000));
  std::string encoding = req.Param("encoding-type");
  if (!encoding.empty() && encoding != "url") {
    return s3err::InvalidArgument("Invalid Encoding Method specified in Request");
  }
  FERRY_ASSIGN_OR_RETURN(ListUploadsResult result, op.store.ListMultipartUploads(list));
  return SendXml(req, s3::ListMultipartUploadsXml(list, result, op.owner, encoding == "url"),
                 op.out);
}

}  // namespace ferry::server
