// S3Store: server-side copy (single or multipart) and the multipart upload API.
#include "core/checksum.h"
#include "s3/http_date.h"
#include "s3/http_semantics.h"
#include "s3/xml_response.h"
#include "s3client/s3_multipart.h"
#include "s3client/s3_object_headers.h"
#include "s3client/s3_store.h"
#include "s3client/s3_writer.h"

namespace ferry {
namespace {

void AddCopyConditions(const CopyObjectRequest& req, s3::HeaderList& h) {
  if (!req.if_match.empty()) h.emplace_back("x-amz-copy-source-if-match", req.if_match);
  if (!req.if_none_match.empty()) {
    h.emplace_back("x-amz-copy-source-if-none-match", req.if_none_match);
  }
  if (req.if_modified_since_s) {
    h.emplace_back("x-amz-copy-source-if-modified-since",
                   s3::FormatHttpDate(*req.if_modified_since_s));
  }
  if (req.if_unmodified_since_s) {
    h.emplace_back("x-amz-copy-source-if-unmodified-since",
                   s3::FormatHttpDate(*req.if_unmodified_since_s));
  }
}

// The headers the copy stores: the request's with REPLACE, else the source's; a storage class
// in the request applies either way.
ObjectHeaders CopiedHeaders(const CopyObjectRequest& req, const ObjectMeta& src) {
  ObjectHeaders h = req.replace_metadata ? req.headers : src.headers;
  if (!req.headers.storage_class.empty()) h.storage_class = req.headers.storage_class;
  return h;
}

}  // namespace

Result<ObjectMeta> S3Store::CopyObject(const CopyObjectRequest& req) {
  FERRY_ASSIGN_OR_RETURN(ObjectMeta src, HeadObject(req.src_bucket, req.src_key));
  if (src.size > options().multipart_copy_threshold) {
    // Conditions on the source are checked here; the parts are then pinned to its ETag.
    s3::GetConditions cond;
    cond.if_match = req.if_match;
    cond.if_none_match = req.if_none_match;
    if (req.if_modified_since_s)
      cond.if_modified_since = s3::FormatHttpDate(*req.if_modified_since_s);
    if (req.if_unmodified_since_s) {
      cond.if_unmodified_since = s3::FormatHttpDate(*req.if_unmodified_since_s);
    }
    FERRY_RETURN_IF_ERROR(s3::EvaluateGetConditions(cond, src.etag, src.last_modified_ns,
                                                    s3::ConditionTarget::kCopySource));
    return MultipartCopy(req, src);
  }
  S3Call call;
  call.op = "CopyObject";
  call.spec.method = "PUT";
  call.spec.bucket = req.dst_bucket;
  call.spec.key = req.dst_key;
  s3::HeaderList& h = call.spec.headers;
  h.emplace_back("x-amz-copy-source", CopySourceHeader(req.src_bucket, req.src_key));
  if (req.replace_metadata) {
    h.emplace_back("x-amz-metadata-directive", "REPLACE");
    AppendObjectHeaders(req.headers, h);
  } else if (!req.headers.storage_class.empty()) {
    h.emplace_back("x-amz-storage-class", req.headers.storage_class);
  }
  ChecksumAlgorithm algorithm = req.checksum_algorithm.value_or(options().checksum_algorithm);
  if (algorithm != ChecksumAlgorithm::kNone) {
    h.emplace_back("x-amz-checksum-algorithm", std::string(ChecksumAlgorithmName(algorithm)));
  }
  AddCopyConditions(req, h);
  FERRY_ASSIGN_OR_RETURN(
      s3::CopyResult done,
      transport_->RetryResult<s3::CopyResult>([&](int) -> Result<s3::CopyResult> {
        FERRY_ASSIGN_OR_RETURN(auto response, transport_->SendOnce(call));
        auto parsed = s3::ParseCopyObjectResult(response.body);
        if (!parsed.ok()) {
          return parsed.status().Annotate("CopyObject " + S3Url(req.dst_bucket, req.dst_key));
        }
        return std::move(parsed).value();
      }));
  ObjectMeta meta;
  meta.key = req.dst_key;
  meta.size = src.size;
  meta.etag = done.etag;
  meta.last_modified_ns = done.last_modified_ns;
  meta.checksum = done.checksum;
  meta.headers = CopiedHeaders(req, src);
  return meta;
}

Result<ObjectMeta> S3Store::MultipartCopy(const CopyObjectRequest& req, const ObjectMeta& src) {
  CreateMultipartRequest create;
  create.bucket = req.dst_bucket;
  create.key = req.dst_key;
  create.headers = CopiedHeaders(req, src);
  create.checksum_algorithm = req.checksum_algorithm.value_or(options().checksum_algorithm);
  FERRY_ASSIGN_OR_RETURN(std::string upload_id, CreateUpload(*transport_, create));
  const uint64_t part_size = ChoosePartSize(src.size, options().copy_part_size);
  const size_t n = static_cast<size_t>((src.size + part_size - 1) / part_size);
  std::vector<CompletedPart> parts(n);
  Status st = RunParallel(n, [&](size_t i) -> Status {
    CopyPartRequest part;
    part.src_bucket = req.src_bucket;
    part.src_key = req.src_key;
    part.src_etag = src.etag;
    part.first = i * part_size;
    part.last = std::min(src.size, part.first + part_size) - 1;
    part.bucket = req.dst_bucket;
    part.key = req.dst_key;
    part.upload_id = upload_id;
    part.part_number = static_cast<int>(i + 1);
    FERRY_ASSIGN_OR_RETURN(s3::CopyResult done, ferry::UploadPartCopy(*transport_, part));
    parts[i] = CompletedPart{part.part_number, done.etag,
                             done.checksum ? done.checksum->value : std::string()};
    return Status::OK();
  });
  Result<s3::CompleteMultipartResult> done = st;
  if (st.ok()) {
    CompleteMultipartRequest complete;
    complete.bucket = req.dst_bucket;
    complete.key = req.dst_key;
    complete.upload_id = upload_id;
    complete.parts = parts;
    done = CompleteUpload(*transport_, complete, create.checksum_algorithm);
  }
  if (!done.ok()) {
    (void)AbortUpload(*transport_, req.dst_bucket, req.dst_key, upload_id);
    return done.status();
  }
  ObjectMeta meta;
  meta.key = req.dst_key;
  meta.size = src.size;
  meta.etag = done->etag;
  meta.last_modified_ns = options().clock->NowNanos();
  meta.checksum = done->checksum;
  meta.headers = create.headers;
  meta.parts_count = static_cast<int>(n);
  for (size_t i = 0; i < n; ++i) {
    meta.part_sizes.push_back(std::min(part_size, src.size - i * part_size));
  }
  return meta;
}

Result<MultipartUploadInfo> S3Store::CreateMultipartUpload(const CreateMultipartRequest& req) {
  FERRY_ASSIGN_OR_RETURN(std::string upload_id, CreateUpload(*transport_, req));
  upload_algorithms_.Put(upload_id, req.checksum_algorithm);
  MultipartUploadInfo info;
  info.key = req.key;
  info.upload_id = std::move(upload_id);
  info.initiated_ns = options().clock->NowNanos();
  info.storage_class = req.headers.storage_class;
  return info;
}

Result<std::unique_ptr<ObjectWriter>> S3Store::UploadPart(const UploadPartRequest& req) {
  if (req.part_number < 1 || req.part_number > kMaxParts) {
    return Status::InvalidArgument("Part number must be an integer between 1 and 10000")
        .WithS3Code("InvalidArgument", 400);
  }
  UploadPartRequest r = req;
  if (!r.checksum) {
    // An upload created with a checksum algorithm wants it on every part.
    auto algorithm = upload_algorithms_.Get(req.upload_id);
    if (algorithm && *algorithm != ChecksumAlgorithm::kNone)
      r.checksum = ObjectChecksum{*algorithm, ""};
  }
  return NewS3PartWriter(*transport_, r);
}

Result<ChecksumAlgorithm> S3Store::UploadAlgorithm(const CompleteMultipartRequest& req) {
  if (auto cached = upload_algorithms_.Get(req.upload_id)) return *cached;
  bool any = false;
  for (const CompletedPart& p : req.parts) any = any || !p.checksum.empty();
  if (!any) return ChecksumAlgorithm::kNone;
  ListPartsRequest list;
  list.bucket = req.bucket;
  list.key = req.key;
  list.upload_id = req.upload_id;
  list.max_parts = 1;
  FERRY_ASSIGN_OR_RETURN(ListPartsResult parts, ListUploadParts(*transport_, list));
  return parts.checksum_algorithm;
}

Result<ObjectMeta> S3Store::CompleteMultipartUpload(const CompleteMultipartRequest& req) {
  FERRY_ASSIGN_OR_RETURN(ChecksumAlgorithm algorithm, UploadAlgorithm(req));
  FERRY_ASSIGN_OR_RETURN(s3::CompleteMultipartResult done,
                         CompleteUpload(*transport_, req, algorithm));
  upload_algorithms_.Erase(req.upload_id);
  ObjectMeta meta;
  // The answer does not give the size: ask (a failed HEAD leaves what Complete told).
  if (auto head = HeadObject(req.bucket, req.key); head.ok() && head->etag == done.etag) {
    meta = std::move(head).value();
  }
  meta.key = req.key;
  meta.etag = done.etag;
  if (done.checksum) meta.checksum = done.checksum;
  meta.parts_count = static_cast<int>(req.parts.size());
  if (meta.last_modified_ns == 0) meta.last_modified_ns = options().clock->NowNanos();
  return meta;
}

Result<PartInfo> S3Store::UploadPartCopy(const UploadPartCopyRequest& req) {
  CopyPartRequest copy;
  copy.src_bucket = req.src_bucket;
  copy.src_key = req.src_key;
  copy.src_etag = req.src_etag;
  copy.first = req.first;
  copy.last = req.last;
  copy.bucket = req.bucket;
  copy.key = req.key;
  copy.upload_id = req.upload_id;
  copy.part_number = req.part_number;
  FERRY_ASSIGN_OR_RETURN(s3::CopyResult copied, ferry::UploadPartCopy(*transport_, copy));
  PartInfo info;
  info.part_number = req.part_number;
  info.etag = copied.etag;
  info.size = req.last - req.first + 1;
  info.last_modified_ns = copied.last_modified_ns;
  info.checksum = copied.checksum;
  return info;
}

Status S3Store::AbortMultipartUpload(std::string_view bucket, std::string_view key,
                                     std::string_view upload_id) {
  upload_algorithms_.Erase(std::string(upload_id));
  return AbortUpload(*transport_, bucket, key, upload_id);
}

Result<ListPartsResult> S3Store::ListParts(const ListPartsRequest& req) {
  return ListUploadParts(*transport_, req);
}

Result<ListUploadsResult> S3Store::ListMultipartUploads(const ListUploadsRequest& req) {
  return ListUploads(*transport_, req);
}

}  // namespace ferry
