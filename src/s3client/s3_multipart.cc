#include "s3client/s3_multipart.h"

#include "core/checksum.h"
#include "s3/http_semantics.h"
#include "s3/uri.h"
#include "s3/xml_request.h"
#include "s3client/s3_object_headers.h"

namespace ferry {
namespace {

std::string Sha256Hex(std::string_view body) {
  return HexEncode(Digest(DigestKind::kSha256, body));
}

S3Call Call(const char* op, const char* method, std::string_view bucket, std::string_view key) {
  S3Call call;
  call.op = op;
  call.spec.method = method;
  call.spec.bucket = std::string(bucket);
  call.spec.key = std::string(key);
  return call;
}

}  // namespace

std::string CopySourceHeader(std::string_view bucket, std::string_view key) {
  return "/" + std::string(bucket) + "/" + s3::UriEncode(key, /*encode_slash=*/false);
}

std::string MultipartEtag(const std::vector<CompletedPart>& parts) {
  std::string concat;
  for (const CompletedPart& p : parts) {
    std::string_view etag = s3::UnquoteEtag(p.etag);
    if (!s3::IsMd5Etag(etag)) return "";
    concat += *HexDecode(etag);
  }
  return HexEncode(Digest(DigestKind::kMd5, concat)) + "-" + std::to_string(parts.size());
}

std::string CompositeChecksum(ChecksumAlgorithm algorithm,
                              const std::vector<CompletedPart>& parts) {
  auto kind = DigestKindFor(algorithm);
  if (!kind) return "";
  std::string concat;
  for (const CompletedPart& p : parts) {
    auto raw = Base64Decode(p.checksum);
    if (p.checksum.empty() || !raw) return "";
    concat += *raw;
  }
  return Base64Encode(Digest(*kind, concat));
}

Result<std::string> CreateUpload(S3Transport& transport, const CreateMultipartRequest& req) {
  S3Call call = Call("CreateMultipartUpload", "POST", req.bucket, req.key);
  call.spec.query = {{"uploads", ""}};
  AppendObjectHeaders(req.headers, call.spec.headers);
  if (req.checksum_algorithm != ChecksumAlgorithm::kNone) {
    call.spec.headers.emplace_back("x-amz-checksum-algorithm",
                                   std::string(ChecksumAlgorithmName(req.checksum_algorithm)));
  }
  return transport.RetryResult<std::string>([&](int) -> Result<std::string> {
    FERRY_ASSIGN_OR_RETURN(auto response, transport.SendOnce(call));
    auto parsed = s3::ParseInitiateMultipartUploadResult(response.body);
    if (!parsed.ok())
      return parsed.status().Annotate("CreateMultipartUpload " + S3Url(req.bucket, req.key));
    return parsed->upload_id;
  });
}

Result<s3::CompleteMultipartResult> CompleteUpload(S3Transport& transport,
                                                   const CompleteMultipartRequest& req,
                                                   ChecksumAlgorithm part_checksums) {
  const std::string body = s3::CompleteMultipartUploadRequestXml(req.parts, part_checksums);
  S3Call call = Call("CompleteMultipartUpload", "POST", req.bucket, req.key);
  call.spec.query = {{"uploadId", req.upload_id}};
  call.spec.payload_hash = Sha256Hex(body);
  call.spec.headers.emplace_back("Content-Type", "application/xml");
  if (req.if_none_match_star) call.spec.headers.emplace_back("If-None-Match", "*");
  if (!req.if_match_etag.empty()) {
    // Unquoted, as for PutObject (s3_writer.cc): what Ceph RGW 16 understands.
    call.spec.headers.emplace_back("If-Match", std::string(s3::UnquoteEtag(req.if_match_etag)));
  }
  call.body = body;
  const std::string what = "CompleteMultipartUpload " + S3Url(req.bucket, req.key);
  using R = s3::CompleteMultipartResult;
  return transport.RetryResult<R>([&](int attempt) -> Result<R> {
    auto response = transport.SendOnce(call);
    if (!response.ok()) {
      const Status& st = response.status();
      if (attempt > 0 && st.s3_code() == "NoSuchUpload") {
        // An earlier attempt may have completed the upload and lost its answer.
        std::string expected = MultipartEtag(req.parts);
        S3Call head = Call("HeadObject", "HEAD", req.bucket, req.key);
        auto found = transport.SendOnce(head);
        if (!expected.empty() && found.ok() &&
            s3::UnquoteEtag(found->headers.GetOr("etag", "")) == expected) {
          R done;
          done.bucket = req.bucket;
          done.key = req.key;
          done.etag = expected;
          done.checksum = ChecksumFromHeaders(found->headers);
          return done;
        }
      }
      return st;
    }
    auto parsed = s3::ParseCompleteMultipartUploadResult(response->body);
    if (!parsed.ok()) return parsed.status().Annotate(what);
    if (parsed->etag.empty()) {
      S3Call head = Call("HeadObject", "HEAD", req.bucket, req.key);
      auto found = transport.SendOnce(head);
      if (found.ok()) parsed->etag = s3::UnquoteEtag(found->headers.GetOr("etag", ""));
      if (parsed->etag.empty()) {
        return Status::Corruption(what + ": the answer and the object name no ETag");
      }
    }
    if (!parsed->checksum) parsed->checksum = ChecksumFromHeaders(response->headers);
    return std::move(parsed).value();
  });
}

Status AbortUpload(S3Transport& transport, std::string_view bucket, std::string_view key,
                   std::string_view upload_id) {
  S3Call call = Call("AbortMultipartUpload", "DELETE", bucket, key);
  call.spec.query = {{"uploadId", std::string(upload_id)}};
  return transport.Retry([&](int attempt) -> Status {
    auto response = transport.SendOnce(call);
    // A retry after a lost answer finds the upload gone: that is what we wanted.
    if (!response.ok() && attempt > 0 && response.status().s3_code() == "NoSuchUpload") {
      return Status::OK();
    }
    return response.status();
  });
}

Result<ListPartsResult> ListUploadParts(S3Transport& transport, const ListPartsRequest& req) {
  S3Call call = Call("ListParts", "GET", req.bucket, req.key);
  call.spec.query = {{"uploadId", req.upload_id}, {"max-parts", std::to_string(req.max_parts)}};
  if (req.part_number_marker > 0) {
    call.spec.query.emplace_back("part-number-marker", std::to_string(req.part_number_marker));
  }
  return transport.RetryResult<ListPartsResult>([&](int) -> Result<ListPartsResult> {
    FERRY_ASSIGN_OR_RETURN(auto response, transport.SendOnce(call));
    auto parsed = s3::ParseListPartsResult(response.body);
    if (!parsed.ok()) return parsed.status().Annotate("ListParts " + S3Url(req.bucket, req.key));
    if (parsed->upload.key.empty()) parsed->upload.key = req.key;
    if (parsed->upload.upload_id.empty()) parsed->upload.upload_id = req.upload_id;
    return std::move(parsed).value();
  });
}

Result<ListUploadsResult> ListUploads(S3Transport& transport, const ListUploadsRequest& req) {
  S3Call call = Call("ListMultipartUploads", "GET", req.bucket, "");
  call.spec.query = {
      {"uploads", ""}, {"encoding-type", "url"}, {"max-uploads", std::to_string(req.max_uploads)}};
  auto add = [&](const char* name, const std::string& value) {
    if (!value.empty()) call.spec.query.emplace_back(name, value);
  };
  add("prefix", req.prefix);
  add("delimiter", req.delimiter);
  add("key-marker", req.key_marker);
  add("upload-id-marker", req.upload_id_marker);
  return transport.RetryResult<ListUploadsResult>([&](int) -> Result<ListUploadsResult> {
    FERRY_ASSIGN_OR_RETURN(auto response, transport.SendOnce(call));
    auto parsed = s3::ParseListMultipartUploadsResult(response.body);
    if (!parsed.ok()) return parsed.status().Annotate("ListMultipartUploads " + S3Url(req.bucket));
    return std::move(parsed).value();
  });
}

Result<s3::CopyResult> UploadPartCopy(S3Transport& transport, const CopyPartRequest& req) {
  S3Call call = Call("UploadPartCopy", "PUT", req.bucket, req.key);
  call.spec.query = {{"partNumber", std::to_string(req.part_number)}, {"uploadId", req.upload_id}};
  call.spec.headers.emplace_back("x-amz-copy-source",
                                 CopySourceHeader(req.src_bucket, req.src_key));
  call.spec.headers.emplace_back("x-amz-copy-source-range", "bytes=" + std::to_string(req.first) +
                                                                "-" + std::to_string(req.last));
  if (!req.src_etag.empty()) {
    call.spec.headers.emplace_back("x-amz-copy-source-if-match", s3::QuoteEtag(req.src_etag));
  }
  return transport.RetryResult<s3::CopyResult>([&](int) -> Result<s3::CopyResult> {
    FERRY_ASSIGN_OR_RETURN(auto response, transport.SendOnce(call));
    auto parsed = s3::ParseCopyPartResult(response.body);
    if (!parsed.ok()) {
      return parsed.status().Annotate("UploadPartCopy " + S3Url(req.bucket, req.key));
    }
    return std::move(parsed).value();
  });
}

}  // namespace ferry
