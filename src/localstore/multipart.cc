// LocalStore multipart uploads. Each part is a blob recorded in the parts table; completing an
// upload writes one object row whose segments are the listed parts' blobs, so no data is
// copied. See doc/LOCAL_STORE.md.
#include <cstdio>
#include <map>
#include <unordered_set>

#include "core/checksum.h"
#include "localstore/bucket.h"
#include "localstore/bucket_index.h"
#include "localstore/local_reader.h"
#include "localstore/local_store.h"
#include "localstore/local_writer.h"
#include "s3/errors.h"
#include "s3/http_semantics.h"
#include "s3/names.h"

namespace ferry {

using local::BlobId;
using sqlite::Db;
namespace index = local::index;

namespace {

constexpr int kMaxPartNumber = 10000;

// If-None-Match: * / If-Match on completion, against the object there now. A failure caused
// by a write that came after the upload began is a conflict (the client should start over),
// as S3 answers it.
Status CheckCompleteConditions(const CompleteMultipartRequest& req,
                               const std::optional<local::ObjectRow>& current, int64_t initiated_ns,
                               std::string_view bucket) {
  bool failed = false;
  if (req.if_none_match_star && current) failed = true;
  if (!req.if_match_etag.empty()) {
    if (!current) return s3err::NoSuchKey(bucket, req.key);
    failed = failed || s3::UnquoteEtag(req.if_match_etag) != current->meta.etag;
  }
  if (!failed) return Status::OK();
  if (current && current->meta.last_modified_ns > initiated_ns) {
    return Status::PreconditionFailed(
               "The conditional request cannot succeed due to a conflicting operation against "
               "this resource.")
        .WithS3Code("ConditionalRequestConflict", 409);
  }
  return s3err::PreconditionFailed("At least one of the pre-conditions you specified did not hold");
}

Result<index::UploadRow> FindUpload(sqlite::Db& db, std::string_view key,
                                    std::string_view upload_id) {
  FERRY_ASSIGN_OR_RETURN(auto upload, index::GetUpload(db, upload_id));
  if (!upload || upload->info.key != key) return s3err::NoSuchUpload(upload_id);
  return std::move(*upload);
}

// The object a completed upload becomes; validates the client's part list against the parts.
Result<local::ObjectRow> AssembleObject(const index::UploadRow& upload,
                                        const std::vector<index::PartRow>& stored,
                                        const std::vector<CompletedPart>& listed,
                                        uint64_t min_part_size) {
  std::map<int, const index::PartRow*> by_number;
  for (const auto& p : stored) by_number[p.info.part_number] = &p;
  local::ObjectRow row;
  ObjectMeta& meta = row.meta;
  std::string md5s, checksums;
  auto kind = DigestKindFor(upload.checksum_algorithm);
  for (size_t i = 0; i < listed.size(); ++i) {
    auto it = by_number.find(listed[i].part_number);
    if (it == by_number.end() || s3::UnquoteEtag(listed[i].etag) != it->second->info.etag) {
      return s3err::InvalidPart("One or more of the specified parts could not be found. Part " +
                                std::to_string(listed[i].part_number));
    }
    const PartInfo& part = it->second->info;
    if (!listed[i].checksum.empty() &&
        (!part.checksum || part.checksum->value != listed[i].checksum)) {
      return s3err::InvalidPart("The checksum of part " + std::to_string(part.part_number) +
                                " does not match the uploaded part.");
    }
    if (i + 1 < listed.size() && part.size < min_part_size) {
      return s3err::EntityTooSmall(
          "Your proposed upload is smaller than the minimum allowed size. Part " +
          std::to_string(part.part_number));
    }
    md5s += HexDecode(part.etag).value_or("");
    if (kind) {
      auto raw = part.checksum ? Base64Decode(part.checksum->value) : std::nullopt;
      if (!raw) {
        return s3err::InvalidPart("Part " + std::to_string(part.part_number) + " has no " +
                                  std::string(ChecksumAlgorithmName(upload.checksum_algorithm)) +
                                  " checksum.");
      }
      checksums += *raw;
    }
    meta.size += part.size;
    meta.part_sizes.push_back(part.size);
    row.segments.push_back({it->second->blob, part.size, HexDecode(part.etag).value_or("")});
  }
  int n = static_cast<int>(listed.size());
  meta.key = upload.info.key;
  meta.etag = HexEncode(Digest(DigestKind::kMd5, md5s)) + "-" + std::to_string(n);
  meta.headers = upload.headers;
  meta.parts_count = n;
  if (kind) {
    meta.checksum =
        ObjectChecksum{upload.checksum_algorithm, Base64Encode(Digest(*kind, checksums)), true, n};
  }
  return row;
}

}  // namespace

Result<MultipartUploadInfo> LocalStore::CreateMultipartUpload(const CreateMultipartRequest& req) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(req.bucket));
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(req.key));
  index::UploadRow upload;
  upload.info.key = req.key;
  upload.headers = req.headers;
  upload.info.storage_class = req.headers.storage_class;
  upload.checksum_algorithm = req.checksum_algorithm;
  FERRY_RETURN_IF_ERROR(bucket->Mutate([&](sqlite::Db& db) {
    upload.info.initiated_ns = bucket->clock().NowNanos();
    // Time first, so that one key's uploads sort by initiation as S3 lists them.
    char time_hex[17];
    std::snprintf(time_hex, sizeof(time_hex), "%016llx",
                  static_cast<unsigned long long>(upload.info.initiated_ns));
    upload.info.upload_id = std::string(time_hex) + local::RandomHex(8);
    return index::InsertUpload(db, upload);
  }));
  return upload.info;
}

Result<std::unique_ptr<ObjectWriter>> LocalStore::UploadPart(const UploadPartRequest& req) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(req.bucket));
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(req.key));
  if (req.part_number < 1 || req.part_number > kMaxPartNumber) {
    return s3err::InvalidArgument("Part number must be an integer between 1 and 10000, inclusive");
  }
  if (req.size && *req.size > local::kMaxPutSize) {
    return s3err::EntityTooLarge("Your proposed upload exceeds the maximum allowed size.");
  }
  ChecksumAlgorithm upload_alg;
  {
    FERRY_ASSIGN_OR_RETURN(local::DbPool::Lease db, bucket->Reader());
    FERRY_ASSIGN_OR_RETURN(auto upload, FindUpload(*db, req.key, req.upload_id));
    upload_alg = upload.checksum_algorithm;
  }
  local::WriteSpec spec;
  spec.key = req.key;
  spec.size = req.size;
  spec.content_md5 = req.content_md5;
  spec.checksum = req.checksum;
  spec.upload_id = req.upload_id;
  spec.part_number = req.part_number;
  if (upload_alg != ChecksumAlgorithm::kNone) {
    if (!spec.checksum || spec.checksum->algorithm == ChecksumAlgorithm::kNone) {
      spec.checksum = ObjectChecksum{upload_alg, ""};
    } else if (spec.checksum->algorithm != upload_alg) {
      return s3err::InvalidRequest("Checksum Type mismatch occurred, expected checksum Type: " +
                                   std::string(ChecksumAlgorithmName(upload_alg)));
    }
  }
  return std::unique_ptr<ObjectWriter>(new local::LocalWriter(std::move(bucket), std::move(spec)));
}

Result<ObjectMeta> LocalStore::CompleteMultipartUpload(const CompleteMultipartRequest& req) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(req.bucket));
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(req.key));
  if (req.parts.empty()) {
    return s3err::MalformedXML("You must specify at least one part.");
  }
  for (size_t i = 1; i < req.parts.size(); ++i) {
    if (req.parts[i].part_number <= req.parts[i - 1].part_number) {
      return s3err::InvalidPartOrder(
          "The list of parts was not in ascending order. Parts must be "
          "ordered by part number.");
    }
  }
  local::ObjectRow row;
  local::Garbage replaced;
  std::vector<BlobId> unused;
  FERRY_RETURN_IF_ERROR(bucket->Mutate([&](sqlite::Db& db) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto upload, FindUpload(db, req.key, req.upload_id));
    FERRY_ASSIGN_OR_RETURN(auto parts, index::ListParts(db, req.upload_id, 0, -1));
    FERRY_ASSIGN_OR_RETURN(
        row, AssembleObject(upload, parts, req.parts, bucket->options().min_part_size));
    if (req.if_none_match_star || !req.if_match_etag.empty()) {
      FERRY_ASSIGN_OR_RETURN(auto current, index::GetObject(db, req.key, nullptr));
      FERRY_RETURN_IF_ERROR(
          CheckCompleteConditions(req, current, upload.info.initiated_ns, bucket->name()));
    }
    row.meta.last_modified_ns = bucket->clock().NowNanos();
    replaced.clear();
    unused.clear();
    FERRY_RETURN_IF_ERROR(index::PutObject(db, row, "", &replaced));
    std::vector<BlobId> all_parts;
    FERRY_RETURN_IF_ERROR(index::DeleteUpload(db, req.upload_id, &all_parts));
    std::unordered_set<BlobId, local::BlobIdHash> used;
    for (const auto& s : row.segments) used.insert(s.blob);
    for (const auto& blob : all_parts) {
      if (!used.contains(blob)) unused.push_back(blob);
    }
    return Status::OK();
  }));
  bucket->Collect(req.key, replaced);
  bucket->Collect("", local::Garbage{std::move(unused)});
  if (!bucket->versioned()) row.meta.version_id.clear();
  return std::move(row.meta);
}

Result<PartInfo> LocalStore::UploadPartCopy(const UploadPartCopyRequest& req) {
  if (req.last < req.first || req.bucket != req.src_bucket) return ObjectStore::UploadPartCopy(req);
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(req.bucket));
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(req.key));
  if (req.part_number < 1 || req.part_number > kMaxPartNumber) {
    return s3err::InvalidArgument("Part number must be an integer between 1 and 10000, inclusive");
  }
  {
    FERRY_ASSIGN_OR_RETURN(local::DbPool::Lease db, bucket->Reader());
    FERRY_ASSIGN_OR_RETURN(auto upload, FindUpload(*db, req.key, req.upload_id));
    // The part's checksum would have to be computed from the bytes anyway.
    if (upload.checksum_algorithm != ChecksumAlgorithm::kNone) {
      return ObjectStore::UploadPartCopy(req);
    }
  }
  // The open reader pins the source's blobs until the link exists.
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> opened,
                         local::OpenLocalReader(bucket, req.src_key));
  // A version whose bytes moved to the archive tier is read from there: no blob to link.
  const auto* local_reader = dynamic_cast<const local::LocalReader*>(opened.get());
  if (!local_reader) return ObjectStore::UploadPartCopy(req);
  const auto& reader = *local_reader;
  const ObjectMeta& src = reader.meta();
  if (!req.src_etag.empty() && src.etag != req.src_etag) {
    return s3err::PreconditionFailed("x-amz-copy-source-if-match");
  }
  if (req.last >= src.size) {
    return s3err::InvalidArgument("the copied range ends past the source's end");
  }
  const uint64_t length = req.last - req.first + 1;
  std::optional<local::Segment> segment = reader.SegmentAt(req.first, length);
  if (segment && segment->md5.empty() && src.parts_count == 0 && length == src.size) {
    segment->md5 = HexDecode(src.etag).value_or("");  // written before segments kept MD5s
  }
  if (!segment || segment->md5.size() != 16) return ObjectStore::UploadPartCopy(req);
  FERRY_ASSIGN_OR_RETURN(BlobId blob, bucket->blobs().Link(segment->blob));
  index::PartRow part;
  part.info.part_number = req.part_number;
  part.info.etag = HexEncode(segment->md5);
  part.info.size = length;
  part.blob = blob;
  std::vector<BlobId> dropped;
  Status s = bucket->Mutate([&](Db& db) -> Status {
    FERRY_RETURN_IF_ERROR(FindUpload(db, req.key, req.upload_id).status());
    part.info.last_modified_ns = bucket->clock().NowNanos();
    dropped.clear();
    return index::PutPart(db, req.upload_id, part, &dropped);
  });
  if (!s.ok()) {
    // A failed COMMIT may still be replayed from the WAL: the sweep at the next start removes
    // the link if nothing references it.
    if (s.code() == Status::Code::kIOError) {
      bucket->SetNeedsSweep();
    } else {
      (void)bucket->blobs().Remove(blob);
    }
    return s;
  }
  bucket->Collect("", local::Garbage{std::move(dropped)});
  return part.info;
}

Status LocalStore::AbortMultipartUpload(std::string_view bucket_name, std::string_view key,
                                        std::string_view upload_id) {
  FERRY_ASSIGN_OR_RETURN(auto bucket, GetBucket(bucket_name));
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(key));
  std::vector<BlobId> dropped;
  FERRY_RETURN_IF_ERROR(bucket->Mutate([&](sqlite::Db& db) -> Status {
    FERRY_RETURN_IF_ERROR(FindUpload(db, key, upload_id).status());
    dropped.clear();
    return index::DeleteUpload(db, upload_id, &dropped);
  }));
  bucket->Collect("", local::Garbage{std::move(dropped)});
  return Status::OK();
}

}  // namespace ferry
