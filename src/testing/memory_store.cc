#include "testing/memory_store.h"

#include <algorithm>
#include <cstring>

#include "core/checksum.h"
#include "s3/errors.h"
#include "s3/http_semantics.h"
#include "s3/names.h"
#include "store/body_digests.h"

namespace ferry::testing {

struct MemoryStore::Object {
  ObjectMeta meta;
  std::string data;
};

struct MemoryStore::Part {
  PartInfo info;
  std::string data;
};

struct MemoryStore::Upload {
  MultipartUploadInfo info;
  std::string bucket;
  ObjectHeaders headers;
  ChecksumAlgorithm checksum_algorithm = ChecksumAlgorithm::kNone;
  std::map<int, Part> parts;
};

struct MemoryStore::Bucket {
  int64_t created_ns = 0;
  std::map<std::string, std::shared_ptr<const Object>, std::less<>> objects;
  std::map<std::string, Upload> uploads;  // by upload id
};

namespace {

constexpr int kMaxPartNumber = 10000;

// The checks LocalStore's writer makes; the stored checksum in *stored.
Status VerifyDigests(std::string_view data, std::string_view content_md5,
                     const std::optional<ObjectChecksum>& expected,
                     std::optional<ObjectChecksum>* stored) {
  if (!content_md5.empty()) {
    FERRY_RETURN_IF_ERROR(CheckContentMd5(content_md5, Digest(DigestKind::kMd5, data)));
  }
  stored->reset();
  if (!expected) return Status::OK();
  auto kind = DigestKindFor(expected->algorithm);
  if (!kind) return Status::OK();
  FERRY_ASSIGN_OR_RETURN(*stored, CheckChecksum(*expected, Digest(*kind, data)));
  return Status::OK();
}

class MemoryReader final : public ObjectReader {
 public:
  explicit MemoryReader(std::shared_ptr<const MemoryStore::Object> object)
      : object_(std::move(object)) {}
  const ObjectMeta& meta() const override;
  Result<size_t> ReadAt(uint64_t offset, std::span<char> out) override;

 private:
  const std::shared_ptr<const MemoryStore::Object> object_;
};

}  // namespace

// Gathers a body; Commit hands it to the store (an object) or to its upload (a part).
class MemoryWriter final : public ObjectWriter {
 public:
  MemoryWriter(MemoryStore* store, std::string bucket, std::string key,
               std::optional<uint64_t> size, std::string content_md5,
               std::optional<ObjectChecksum> checksum)
      : store_(store),
        bucket_(std::move(bucket)),
        key_(std::move(key)),
        size_(size),
        content_md5_(std::move(content_md5)),
        checksum_(std::move(checksum)) {}

  Status Append(std::span<const char> data) override {
    if (finished_) return Status::Internal("ObjectWriter: Append after Commit or an error");
    if (size_ && data_.size() + data.size() > *size_) {
      finished_ = true;
      return s3err::IncompleteBody("The request body is longer than its Content-Length.");
    }
    data_.append(data.data(), data.size());
    return Status::OK();
  }
  void SetExpectedChecksum(const ObjectChecksum& checksum) override { checksum_ = checksum; }
  Result<ObjectMeta> Commit() override;

  ObjectHeaders headers;
  bool if_none_match_star = false;
  std::string if_match_etag;
  std::string upload_id;  // a part of this upload when set
  int part_number = 0;

 private:
  MemoryStore* const store_;
  const std::string bucket_, key_;
  const std::optional<uint64_t> size_;
  const std::string content_md5_;
  std::optional<ObjectChecksum> checksum_;
  std::string data_;
  bool finished_ = false;
};

const ObjectMeta& MemoryReader::meta() const {
  return object_->meta;
}

Result<size_t> MemoryReader::ReadAt(uint64_t offset, std::span<char> out) {
  const std::string& data = object_->data;
  if (offset >= data.size()) return size_t{0};
  const size_t n = std::min<size_t>(out.size(), data.size() - offset);
  std::memcpy(out.data(), data.data() + offset, n);
  return n;
}

Result<ObjectMeta> MemoryWriter::Commit() {
  if (finished_) return Status::Internal("ObjectWriter::Commit called twice or after an error");
  finished_ = true;
  if (size_ && data_.size() != *size_) {
    return s3err::IncompleteBody(
        "You did not provide the number of bytes specified by the Content-Length HTTP header.");
  }
  auto object = std::make_shared<MemoryStore::Object>();
  ObjectMeta& meta = object->meta;
  meta.key = key_;
  meta.size = data_.size();
  meta.etag = HexEncode(Digest(DigestKind::kMd5, data_));
  FERRY_RETURN_IF_ERROR(VerifyDigests(data_, content_md5_, checksum_, &meta.checksum));
  std::lock_guard lock(store_->mu_);
  if (upload_id.empty()) {
    meta.headers = headers;
    meta.last_modified_ns = store_->Now();
    object->data = std::move(data_);
    return store_->InstallLocked(bucket_, std::move(object), if_none_match_star, if_match_etag);
  }
  FERRY_ASSIGN_OR_RETURN(auto* bucket, store_->FindLocked(bucket_));
  auto upload = bucket->uploads.find(upload_id);
  if (upload == bucket->uploads.end()) return s3err::NoSuchUpload(upload_id);
  MemoryStore::Part part;
  part.info.part_number = part_number;
  part.info.etag = meta.etag;
  part.info.size = meta.size;
  part.info.last_modified_ns = store_->Now();
  part.info.checksum = meta.checksum;
  part.data = std::move(data_);
  upload->second.parts[part_number] = std::move(part);
  meta.last_modified_ns = store_->Now();
  return meta;
}

MemoryStore::MemoryStore(const Clock* clock, uint64_t min_part_size)
    : clock_(clock ? clock : &SystemClock()), min_part_size_(min_part_size) {}
MemoryStore::~MemoryStore() = default;

Result<MemoryStore::Bucket*> MemoryStore::FindLocked(std::string_view bucket) {
  auto it = buckets_.find(bucket);
  if (it == buckets_.end()) return s3err::NoSuchBucket(bucket);
  return it->second.get();
}

Result<std::vector<BucketInfo>> MemoryStore::ListBuckets() {
  std::lock_guard lock(mu_);
  std::vector<BucketInfo> out;
  for (const auto& [name, b] : buckets_) out.push_back({name, b->created_ns});
  return out;
}

Status MemoryStore::CreateBucket(std::string_view bucket) {
  FERRY_RETURN_IF_ERROR(s3::ValidateBucketName(bucket));
  std::lock_guard lock(mu_);
  if (buckets_.contains(bucket)) return s3err::BucketAlreadyOwnedByYou(bucket);
  auto b = std::make_unique<Bucket>();
  b->created_ns = Now();
  buckets_.emplace(std::string(bucket), std::move(b));
  return Status::OK();
}

Status MemoryStore::DeleteBucket(std::string_view bucket) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto* b, FindLocked(bucket));
  if (!b->objects.empty()) return s3err::BucketNotEmpty(bucket);
  buckets_.erase(buckets_.find(bucket));
  return Status::OK();
}

Result<BucketInfo> MemoryStore::HeadBucket(std::string_view bucket) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto* b, FindLocked(bucket));
  return BucketInfo{std::string(bucket), b->created_ns};
}

Result<ListObjectsPage> MemoryStore::ListObjects(const ListObjectsRequest& req) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto* b, FindLocked(req.bucket));
  ListObjectsPage page;
  int returned = 0;
  auto it = req.start_after.empty() ? b->objects.lower_bound(req.prefix)
                                    : b->objects.upper_bound(req.start_after);
  if (!req.start_after.empty() && req.start_after < req.prefix) {
    it = b->objects.lower_bound(req.prefix);
  }
  for (; it != b->objects.end(); ++it) {
    const std::string& key = it->first;
    if (!key.starts_with(req.prefix)) break;
    std::string entry = key;
    bool is_prefix = false;
    if (!req.delimiter.empty()) {
      const size_t at = key.find(req.delimiter, req.prefix.size());
      if (at != std::string::npos) {
        entry = key.substr(0, at + req.delimiter.size());
        is_prefix = true;
        if (entry <= req.start_after) continue;  // a common prefix already returned
        if (!page.common_prefixes.empty() && page.common_prefixes.back() == entry) continue;
      }
    }
    if (returned == req.max_keys) {
      page.truncated = true;
      break;
    }
    if (is_prefix) {
      page.common_prefixes.push_back(entry);
    } else {
      page.objects.push_back(it->second->meta);
    }
    page.last = entry;
    ++returned;
  }
  return page;
}

Result<ObjectMeta> MemoryStore::HeadObject(std::string_view bucket, std::string_view key) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto* b, FindLocked(bucket));
  auto it = b->objects.find(key);
  if (it == b->objects.end()) return s3err::NoSuchKey(bucket, key);
  return it->second->meta;
}

Result<std::unique_ptr<ObjectReader>> MemoryStore::OpenObject(std::string_view bucket,
                                                              std::string_view key,
                                                              const OpenHints& hints) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto* b, FindLocked(bucket));
  auto it = b->objects.find(key);
  if (it == b->objects.end()) return s3err::NoSuchKey(bucket, key);
  if (!hints.etag.empty() && hints.size && it->second->meta.etag != hints.etag) {
    return s3err::PreconditionFailed("The object changed since it was listed");
  }
  return std::unique_ptr<ObjectReader>(new MemoryReader(it->second));
}

Result<std::unique_ptr<ObjectWriter>> MemoryStore::PutObject(const PutObjectRequest& req) {
  {
    std::lock_guard lock(mu_);
    FERRY_RETURN_IF_ERROR(FindLocked(req.bucket).status());
  }
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(req.key));
  auto writer = std::make_unique<MemoryWriter>(this, req.bucket, req.key, req.size, req.content_md5,
                                               req.checksum);
  writer->headers = req.headers;
  writer->if_none_match_star = req.if_none_match_star;
  writer->if_match_etag = std::string(s3::UnquoteEtag(req.if_match_etag));
  return std::unique_ptr<ObjectWriter>(std::move(writer));
}

Result<ObjectMeta> MemoryStore::InstallLocked(const std::string& bucket,
                                              std::shared_ptr<Object> object,
                                              bool if_none_match_star,
                                              const std::string& if_match_etag) {
  FERRY_ASSIGN_OR_RETURN(auto* b, FindLocked(bucket));
  auto it = b->objects.find(object->meta.key);
  if (if_none_match_star && it != b->objects.end()) {
    return s3err::PreconditionFailed(
        "At least one of the pre-conditions you specified did not hold");
  }
  if (!if_match_etag.empty()) {
    if (it == b->objects.end()) return s3err::NoSuchKey(bucket, object->meta.key);
    if (it->second->meta.etag != if_match_etag) {
      return s3err::PreconditionFailed(
          "At least one of the pre-conditions you specified did not hold");
    }
  }
  ObjectMeta meta = object->meta;
  b->objects[meta.key] = std::move(object);
  return meta;
}

Result<ObjectMeta> MemoryStore::CopyObject(const CopyObjectRequest& req) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto* src_bucket, FindLocked(req.src_bucket));
  auto src = src_bucket->objects.find(req.src_key);
  if (src == src_bucket->objects.end()) return s3err::NoSuchKey(req.src_bucket, req.src_key);
  FERRY_RETURN_IF_ERROR(FindLocked(req.dst_bucket).status());
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(req.dst_key));
  const ObjectMeta& from = src->second->meta;
  const auto failed = [] {
    return s3err::PreconditionFailed(
        "At least one of the pre-conditions you specified did not hold");
  };
  if (!req.if_match.empty() && s3::UnquoteEtag(req.if_match) != from.etag) return failed();
  if (!req.if_none_match.empty() && s3::UnquoteEtag(req.if_none_match) == from.etag)
    return failed();
  const int64_t modified_s = from.last_modified_ns / 1'000'000'000;
  if (req.if_unmodified_since_s && modified_s > *req.if_unmodified_since_s) return failed();
  if (req.if_modified_since_s && modified_s <= *req.if_modified_since_s) return failed();
  auto object = std::make_shared<Object>();
  object->data = src->second->data;
  ObjectMeta& meta = object->meta;
  meta.key = req.dst_key;
  meta.size = object->data.size();
  meta.etag = HexEncode(Digest(DigestKind::kMd5, object->data));
  meta.last_modified_ns = Now();
  meta.headers = req.replace_metadata ? req.headers : from.headers;
  meta.headers.storage_class = req.headers.storage_class;  // S3: STANDARD unless told
  meta.headers.acl = req.headers.acl;
  meta.headers.restore_ready_ns = meta.headers.restore_expiry_ns = 0;
  meta.headers.restore_tier.clear();
  meta.headers.tags = req.replace_tags ? req.headers.tags : from.headers.tags;
  if (req.checksum_algorithm) {
    if (auto kind = DigestKindFor(*req.checksum_algorithm)) {
      meta.checksum =
          ObjectChecksum{*req.checksum_algorithm, Base64Encode(Digest(*kind, object->data))};
    }
  } else if (from.checksum && !from.checksum->composite) {
    meta.checksum = from.checksum;
  }
  return InstallLocked(req.dst_bucket, std::move(object), false, "");
}

Status MemoryStore::DeleteObject(std::string_view bucket, std::string_view key) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto* b, FindLocked(bucket));
  if (auto it = b->objects.find(key); it != b->objects.end()) b->objects.erase(it);
  return Status::OK();
}

Result<MultipartUploadInfo> MemoryStore::CreateMultipartUpload(const CreateMultipartRequest& req) {
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(req.key));
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto* b, FindLocked(req.bucket));
  Upload upload;
  upload.info.key = req.key;
  upload.info.initiated_ns = Now();
  char id[32];
  // Time first, so that one key's uploads sort by initiation as S3 lists them.
  std::snprintf(id, sizeof id, "%016llx%08llx",
                static_cast<unsigned long long>(upload.info.initiated_ns),
                static_cast<unsigned long long>(next_upload_++));
  upload.info.upload_id = id;
  upload.info.storage_class = req.headers.storage_class;
  upload.bucket = req.bucket;
  upload.headers = req.headers;
  upload.checksum_algorithm = req.checksum_algorithm;
  b->uploads.emplace(upload.info.upload_id, upload);
  return upload.info;
}

Result<std::unique_ptr<ObjectWriter>> MemoryStore::UploadPart(const UploadPartRequest& req) {
  if (req.part_number < 1 || req.part_number > kMaxPartNumber) {
    return s3err::InvalidArgument("Part number must be an integer between 1 and 10000, inclusive");
  }
  std::optional<ObjectChecksum> checksum = req.checksum;
  {
    std::lock_guard lock(mu_);
    FERRY_ASSIGN_OR_RETURN(auto* b, FindLocked(req.bucket));
    auto upload = b->uploads.find(req.upload_id);
    if (upload == b->uploads.end() || upload->second.info.key != req.key) {
      return s3err::NoSuchUpload(req.upload_id);
    }
    if (!checksum && upload->second.checksum_algorithm != ChecksumAlgorithm::kNone) {
      checksum = ObjectChecksum{upload->second.checksum_algorithm, ""};
    }
  }
  auto writer = std::make_unique<MemoryWriter>(this, req.bucket, req.key, req.size, req.content_md5,
                                               checksum);
  writer->upload_id = req.upload_id;
  writer->part_number = req.part_number;
  return std::unique_ptr<ObjectWriter>(std::move(writer));
}

Result<ObjectMeta> MemoryStore::CompleteMultipartUpload(const CompleteMultipartRequest& req) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto* b, FindLocked(req.bucket));
  auto found = b->uploads.find(req.upload_id);
  if (found == b->uploads.end() || found->second.info.key != req.key) {
    return s3err::NoSuchUpload(req.upload_id);
  }
  const Upload& upload = found->second;
  if (req.parts.empty()) {
    return s3err::MalformedXML("The XML you provided was not well-formed or did not validate");
  }
  for (size_t i = 1; i < req.parts.size(); ++i) {
    if (req.parts[i].part_number <= req.parts[i - 1].part_number) {
      return s3err::InvalidPartOrder("The list of parts was not in ascending order.");
    }
  }
  auto object = std::make_shared<Object>();
  ObjectMeta& meta = object->meta;
  std::string md5s, checksums;
  const auto kind = DigestKindFor(upload.checksum_algorithm);
  for (size_t i = 0; i < req.parts.size(); ++i) {
    auto it = upload.parts.find(req.parts[i].part_number);
    if (it == upload.parts.end() || s3::UnquoteEtag(req.parts[i].etag) != it->second.info.etag) {
      return s3err::InvalidPart("One or more of the specified parts could not be found. Part " +
                                std::to_string(req.parts[i].part_number));
    }
    const PartInfo& part = it->second.info;
    if (!req.parts[i].checksum.empty() &&
        (!part.checksum || part.checksum->value != req.parts[i].checksum)) {
      return s3err::InvalidPart("The checksum of part " + std::to_string(part.part_number) +
                                " does not match the uploaded part.");
    }
    if (i + 1 < req.parts.size() && part.size < min_part_size_) {
      return s3err::EntityTooSmall(
          "Your proposed upload is smaller than the minimum allowed size. Part " +
          std::to_string(part.part_number));
    }
    md5s += HexDecode(part.etag).value_or("");
    if (kind && part.checksum) checksums += Base64Decode(part.checksum->value).value_or("");
    object->data += it->second.data;
    meta.part_sizes.push_back(part.size);
  }
  const int n = static_cast<int>(req.parts.size());
  meta.key = req.key;
  meta.size = object->data.size();
  meta.etag = HexEncode(Digest(DigestKind::kMd5, md5s)) + "-" + std::to_string(n);
  meta.headers = upload.headers;
  meta.parts_count = n;
  meta.last_modified_ns = Now();
  if (kind) {
    meta.checksum =
        ObjectChecksum{upload.checksum_algorithm, Base64Encode(Digest(*kind, checksums)), true, n};
  }
  auto installed =
      InstallLocked(req.bucket, std::move(object), req.if_none_match_star, req.if_match_etag);
  if (installed.ok()) b->uploads.erase(found);
  return installed;
}

Status MemoryStore::AbortMultipartUpload(std::string_view bucket, std::string_view key,
                                         std::string_view upload_id) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto* b, FindLocked(bucket));
  auto it = b->uploads.find(std::string(upload_id));
  if (it == b->uploads.end() || it->second.info.key != key) return s3err::NoSuchUpload(upload_id);
  b->uploads.erase(it);
  return Status::OK();
}

Result<ListPartsResult> MemoryStore::ListParts(const ListPartsRequest& req) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto* b, FindLocked(req.bucket));
  auto it = b->uploads.find(req.upload_id);
  if (it == b->uploads.end() || it->second.info.key != req.key) {
    return s3err::NoSuchUpload(req.upload_id);
  }
  ListPartsResult out;
  out.upload = it->second.info;
  out.checksum_algorithm = it->second.checksum_algorithm;
  for (auto p = it->second.parts.upper_bound(req.part_number_marker); p != it->second.parts.end();
       ++p) {
    if (static_cast<int>(out.parts.size()) == req.max_parts) {
      out.truncated = true;
      break;
    }
    out.parts.push_back(p->second.info);
    out.next_part_number_marker = p->first;
  }
  return out;
}

Result<ListUploadsResult> MemoryStore::ListMultipartUploads(const ListUploadsRequest& req) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto* b, FindLocked(req.bucket));
  // By key, then by initiation (the ids sort so), as S3 lists them.
  std::vector<const Upload*> sorted;
  for (const auto& [id, u] : b->uploads) {
    if (u.info.key.starts_with(req.prefix)) sorted.push_back(&u);
  }
  std::sort(sorted.begin(), sorted.end(), [](const Upload* a, const Upload* c) {
    return std::tie(a->info.key, a->info.upload_id) < std::tie(c->info.key, c->info.upload_id);
  });
  ListUploadsResult out;
  int returned = 0;
  for (const Upload* u : sorted) {
    const std::string& key = u->info.key;
    if (!req.key_marker.empty()) {
      if (key < req.key_marker) continue;
      if (key == req.key_marker &&
          (req.upload_id_marker.empty() || u->info.upload_id <= req.upload_id_marker)) {
        continue;
      }
    }
    if (!req.delimiter.empty()) {
      const size_t at = key.find(req.delimiter, req.prefix.size());
      if (at != std::string::npos) {
        std::string prefix = key.substr(0, at + req.delimiter.size());
        if (!out.common_prefixes.empty() && out.common_prefixes.back() == prefix) continue;
        if (returned == req.max_uploads) {
          out.truncated = true;
          break;
        }
        out.common_prefixes.push_back(prefix);
        out.next_key_marker = prefix;
        out.next_upload_id_marker.clear();
        ++returned;
        continue;
      }
    }
    if (returned == req.max_uploads) {
      out.truncated = true;
      break;
    }
    out.uploads.push_back(u->info);
    out.next_key_marker = key;
    out.next_upload_id_marker = u->info.upload_id;
    ++returned;
  }
  return out;
}

}  // namespace ferry::testing
