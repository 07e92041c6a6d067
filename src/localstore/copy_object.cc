// LocalStore::CopyObject: reads the source version it opened (pinned, so it cannot vanish
// mid-copy), checks the x-amz-copy-source-if-* conditions against that version, and writes
// the destination through the ordinary writer path. Blob data moves file to file with
// copy_file_range where the kernel supports it while the bytes are hashed for the new ETag.
#include <algorithm>

#include "localstore/bucket.h"
#include "localstore/local_reader.h"
#include "localstore/local_store.h"
#include "localstore/local_writer.h"
#include "s3/errors.h"
#include "s3/http_semantics.h"
#include "s3/names.h"

namespace ferry {
namespace {

constexpr size_t kCopyChunk = 8 << 20;

bool EtagMatches(std::string_view condition, std::string_view etag) {
  condition = s3::UnquoteEtag(condition);
  return condition == "*" || condition == etag;
}

Status CheckSourceConditions(const CopyObjectRequest& req, const ObjectMeta& src) {
  int64_t modified_s = src.last_modified_ns / 1000000000;
  auto fail = [] {
    return s3err::PreconditionFailed(
        "At least one of the pre-conditions you specified did not hold");
  };
  // As S3 (and RFC 7232): a present If-Match decides alone over If-Unmodified-Since, a present
  // If-None-Match over If-Modified-Since.
  if (!req.if_match.empty()) {
    if (!EtagMatches(req.if_match, src.etag)) return fail();
  } else if (req.if_unmodified_since_s && modified_s > *req.if_unmodified_since_s) {
    return fail();
  }
  if (!req.if_none_match.empty()) {
    if (EtagMatches(req.if_none_match, src.etag)) return fail();
  } else if (req.if_modified_since_s && modified_s <= *req.if_modified_since_s) {
    return fail();
  }
  return Status::OK();
}

Status CopyBody(ObjectReader& reader, local::LocalWriter& writer) {
  uint64_t size = reader.meta().size;
  std::string buffer(static_cast<size_t>(std::min<uint64_t>(size, kCopyChunk)), '\0');
  auto extents = reader.Extents(0, size);
  if (extents.empty() || extents.front().fd < 0) {
    // Inline (or no extents): plain reads.
    for (uint64_t off = 0; off < size;) {
      FERRY_ASSIGN_OR_RETURN(size_t n, reader.ReadAt(off, buffer));
      if (n == 0) return Status::Corruption("source ended early").WithS3Code("InternalError", 500);
      FERRY_RETURN_IF_ERROR(writer.Append(std::span<const char>(buffer.data(), n)));
      off += n;
    }
    return Status::OK();
  }
  for (const auto& e : extents) {
    for (uint64_t done = 0; done < e.length;) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(e.length - done, buffer.size()));
      FERRY_ASSIGN_OR_RETURN(size_t n, local::PreadFull(e.fd, std::span<char>(buffer.data(), want),
                                                        e.file_offset + done, "read copy source"));
      if (n != want) {
        return Status::Corruption("copy source blob is short").WithS3Code("InternalError", 500);
      }
      FERRY_RETURN_IF_ERROR(
          writer.AppendCopy(e.fd, e.file_offset + done, std::span<const char>(buffer.data(), n)));
      done += n;
    }
  }
  return Status::OK();
}

}  // namespace

Result<ObjectMeta> LocalStore::CopyObject(const CopyObjectRequest& req) {
  FERRY_ASSIGN_OR_RETURN(auto src_bucket, GetBucket(req.src_bucket));
  FERRY_ASSIGN_OR_RETURN(auto dst_bucket, GetBucket(req.dst_bucket));
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(req.src_key));
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(req.dst_key));
  FERRY_ASSIGN_OR_RETURN(local::index::VersionRef src_version,
                         local::index::ParseVersionId(req.src_version_id));
  FERRY_ASSIGN_OR_RETURN(auto reader, local::OpenLocalReader(src_bucket, req.src_key, src_version));
  const ObjectMeta& src = reader->meta();
  FERRY_RETURN_IF_ERROR(CheckSourceConditions(req, src));

  local::WriteSpec spec;
  spec.key = req.dst_key;
  spec.headers = req.replace_metadata ? req.headers : src.headers;
  spec.headers.tags = req.replace_tags ? req.headers.tags : src.headers.tags;
  spec.headers.lock_mode = req.headers.lock_mode;
  spec.headers.lock_until_ns = req.headers.lock_until_ns;
  spec.headers.legal_hold = req.headers.legal_hold;
  // A copy is a new object: a restore of its source is not its own.
  spec.headers.restore_ready_ns = spec.headers.restore_expiry_ns = 0;
  spec.headers.restore_tier.clear();
  spec.headers.archive_access_tier.clear();
  spec.headers.last_access_ns = 0;
  spec.headers.storage_class = req.headers.storage_class;  // S3: STANDARD unless told
  spec.headers.acl = req.headers.acl;                      // S3: the copy's own ACL
  bool same =
      req.src_bucket == req.dst_bucket && req.src_key == req.dst_key && req.src_version_id.empty();
  if (same && !req.replace_metadata && spec.headers.storage_class == src.headers.storage_class &&
      !req.checksum_algorithm) {
    return s3err::InvalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without "
        "changing the object's metadata, storage class, website redirect location or encryption "
        "attributes.");
  }
  ChecksumAlgorithm alg = req.checksum_algorithm.value_or(src.checksum ? src.checksum->algorithm
                                                                       : ChecksumAlgorithm::kNone);
  if (alg != ChecksumAlgorithm::kNone) spec.checksum = ObjectChecksum{alg, ""};
  spec.size = src.size;

  local::LocalWriter writer(dst_bucket, std::move(spec));
  FERRY_RETURN_IF_ERROR(CopyBody(*reader, writer));
  return writer.Commit();
}

}  // namespace ferry
