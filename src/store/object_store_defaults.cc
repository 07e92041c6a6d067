// Default implementations of the optional ObjectStore/ObjectWriter operations.
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "ferry/object_store.h"
#include "s3/errors.h"

namespace ferry {

Status ObjectWriter::AppendFile(int fd, uint64_t offset, uint64_t length) {
  std::vector<char> buf(std::min<uint64_t>(std::max<uint64_t>(length, 1), 1 << 20));
  while (length > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(length, buf.size()));
    ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("read", errno);
    if (n == 0) return Status::IOError("file shrank while being read");
    FERRY_RETURN_IF_ERROR(Append(std::span<const char>(buf.data(), static_cast<size_t>(n))));
    offset += static_cast<uint64_t>(n);
    length -= static_cast<uint64_t>(n);
  }
  return Status::OK();
}

Result<PartInfo> ObjectStore::UploadPartCopy(const UploadPartCopyRequest& req) {
  if (req.last < req.first) return s3err::InvalidArgument("the copied range is empty");
  OpenHints hints;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader,
                         OpenObject(req.src_bucket, req.src_key, hints));
  if (!req.src_etag.empty() && reader->meta().etag != req.src_etag) {
    return s3err::PreconditionFailed("x-amz-copy-source-if-match");
  }
  if (req.last >= reader->meta().size) {
    return s3err::InvalidArgument("the copied range ends past the source's end");
  }
  const uint64_t length = req.last - req.first + 1;
  UploadPartRequest part;
  part.bucket = req.bucket;
  part.key = req.key;
  part.upload_id = req.upload_id;
  part.part_number = req.part_number;
  part.size = length;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer, UploadPart(part));
  std::vector<char> buf(static_cast<size_t>(std::min<uint64_t>(length, 1 << 20)));
  for (uint64_t done = 0; done < length;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(length - done, buf.size()));
    FERRY_ASSIGN_OR_RETURN(size_t n,
                           reader->ReadAt(req.first + done, std::span<char>(buf.data(), want)));
    if (n == 0) return s3err::InternalError("the copy source ended early");
    FERRY_RETURN_IF_ERROR(writer->Append(std::span<const char>(buf.data(), n)));
    done += n;
  }
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta, writer->Commit());
  PartInfo info;
  info.part_number = req.part_number;
  info.etag = meta.etag;
  info.size = length;
  info.last_modified_ns = meta.last_modified_ns;
  info.checksum = meta.checksum;
  return info;
}

Result<std::vector<Status>> ObjectStore::DeleteObjects(std::string_view bucket,
                                                       const std::vector<std::string>& keys) {
  std::vector<Status> out;
  out.reserve(keys.size());
  for (const auto& key : keys) out.push_back(DeleteObject(bucket, key));
  return out;
}

Status ObjectStore::SetBucketVersioning(std::string_view bucket, VersioningStatus status) {
  (void)bucket;
  (void)status;
  return s3err::NotImplemented("This store keeps no object versions");
}

Result<VersioningStatus> ObjectStore::GetBucketVersioning(std::string_view bucket) {
  FERRY_RETURN_IF_ERROR(HeadBucket(bucket).status());
  return VersioningStatus::kUnversioned;
}

Result<ListVersionsPage> ObjectStore::ListObjectVersions(const ListVersionsRequest& req) {
  if (!req.version_id_marker.empty() && req.version_id_marker != "null") {
    return s3err::InvalidVersionId(req.version_id_marker);
  }
  ListObjectsRequest list;
  list.bucket = req.bucket;
  list.prefix = req.prefix;
  list.delimiter = req.delimiter;
  list.start_after = req.key_marker;
  list.max_keys = req.max_keys;
  FERRY_ASSIGN_OR_RETURN(ListObjectsPage page, ListObjects(list));
  ListVersionsPage out;
  for (auto& meta : page.objects) {
    meta.version_id = "null";
    out.versions.push_back({std::move(meta), /*is_latest=*/true});
  }
  out.common_prefixes = std::move(page.common_prefixes);
  out.truncated = page.truncated;
  if (out.truncated) {
    out.next_key_marker = page.last;
    if (!out.versions.empty() && out.versions.back().meta.key == page.last) {
      out.next_version_id_marker = "null";
    }
  }
  return out;
}

namespace {
// Without versions, only the latest ("" or "null") can be named.
Status CheckUnversionedId(std::string_view key, std::string_view version_id) {
  if (version_id.empty() || version_id == "null") return Status::OK();
  (void)key;
  return s3err::InvalidVersionId(version_id);
}
}  // namespace

Result<ObjectMeta> ObjectStore::HeadObjectVersion(std::string_view bucket, std::string_view key,
                                                  std::string_view version_id) {
  FERRY_RETURN_IF_ERROR(CheckUnversionedId(key, version_id));
  return HeadObject(bucket, key);
}

Result<std::unique_ptr<ObjectReader>> ObjectStore::OpenObjectVersion(std::string_view bucket,
                                                                     std::string_view key,
                                                                     std::string_view version_id,
                                                                     const OpenHints& hints) {
  FERRY_RETURN_IF_ERROR(CheckUnversionedId(key, version_id));
  return OpenObject(bucket, key, hints);
}

Result<DeleteOutcome> ObjectStore::DeleteObjectVersion(std::string_view bucket,
                                                       std::string_view key,
                                                       std::string_view version_id,
                                                       const DeleteOptions& options) {
  (void)options;
  FERRY_RETURN_IF_ERROR(CheckUnversionedId(key, version_id));
  FERRY_RETURN_IF_ERROR(DeleteObject(bucket, key));
  return DeleteOutcome{};
}

Result<ObjectMeta> ObjectStore::EditObjectVersion(std::string_view bucket, std::string_view key,
                                                  std::string_view version_id,
                                                  const HeadersEdit& edit,
                                                  std::string_view if_match_etag) {
  (void)if_match_etag;
  (void)bucket;
  (void)key;
  (void)version_id;
  (void)edit;
  return s3err::NotImplemented("This store cannot change an object's tags or lock in place");
}

Result<int> ObjectStore::RestoreObject(const RestoreObjectRequest& req) {
  (void)req;
  return s3err::NotImplemented("This store has no archive tier to restore from");
}

Status ObjectStore::SetBucketConfig(std::string_view bucket, std::string_view name,
                                    const std::optional<std::string>& document) {
  (void)bucket;
  (void)name;
  (void)document;
  return s3err::NotImplemented("This store keeps no bucket configuration");
}

Result<std::optional<std::string>> ObjectStore::GetBucketConfig(std::string_view bucket,
                                                                std::string_view name) {
  (void)name;
  FERRY_RETURN_IF_ERROR(HeadBucket(bucket).status());
  return std::optional<std::string>();
}

}  // namespace ferry
