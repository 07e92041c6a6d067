#include "store/point_in_time_store.h"

#include "s3/errors.h"

namespace ferry {
namespace {

// Bounds the memory of remembered versions (a listing of millions of keys).
constexpr size_t kMaxRemembered = 1 << 20;

std::string CacheKey(std::string_view bucket, std::string_view key) {
  std::string k(bucket);
  k.push_back('\0');
  k.append(key);
  return k;
}

// Picks a key's version at a moment from its versions, newest first.
class KeyVersions {
 public:
  bool active() const { return active_; }
  const std::string& key() const { return key_; }
  void Start(const std::string& key) {
    key_ = key;
    active_ = true;
    chosen_.reset();
  }
  void Offer(const ObjectVersion& v, int64_t at_ns) {
    if (!chosen_ && v.meta.last_modified_ns <= at_ns) chosen_ = v.meta;
  }
  // The object the key was at the moment, if it was one; ends the key.
  std::optional<ObjectMeta> Finish() {
    active_ = false;
    if (!chosen_ || chosen_->delete_marker) return std::nullopt;
    return std::move(chosen_);
  }

 private:
  std::string key_;
  bool active_ = false;
  std::optional<ObjectMeta> chosen_;
};

}  // namespace

PointInTimeStore::PointInTimeStore(std::unique_ptr<ObjectStore> inner, int64_t at_ns)
    : inner_(std::move(inner)), at_ns_(at_ns) {}

Status PointInTimeStore::ReadOnly() const {
  return Status::PermissionDenied("a store read at a point in time (--version-at) is read-only");
}

void PointInTimeStore::Remember(std::string_view bucket, const ObjectMeta& meta) {
  std::lock_guard lock(mu_);
  if (resolved_.size() >= kMaxRemembered) resolved_.clear();
  resolved_.insert_or_assign(CacheKey(bucket, meta.key), meta);
}

Result<ListObjectsPage> PointInTimeStore::ListObjects(const ListObjectsRequest& req) {
  ListObjectsPage out;
  if (req.max_keys <= 0) return out;
  ListVersionsRequest list;
  list.bucket = req.bucket;
  list.prefix = req.prefix;
  list.delimiter = req.delimiter;
  list.key_marker = req.start_after;
  KeyVersions group;
  bool full = false;
  auto emit_object = [&](ObjectMeta meta) {
    if (full) return;
    if (out.objects.size() + out.common_prefixes.size() == static_cast<size_t>(req.max_keys)) {
      full = true;
      return;
    }
    Remember(req.bucket, meta);
    out.last = meta.key;
    out.objects.push_back(std::move(meta));
  };
  auto emit_prefix = [&](const std::string& prefix) {
    if (full || (!req.start_after.empty() && prefix <= req.start_after)) return;
    if (out.objects.size() + out.common_prefixes.size() == static_cast<size_t>(req.max_keys)) {
      full = true;
      return;
    }
    out.last = prefix;
    out.common_prefixes.push_back(prefix);
  };
  auto finish_group = [&] {
    if (!group.active()) return;
    if (auto meta = group.Finish()) emit_object(std::move(*meta));
  };
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(ListVersionsPage page, inner_->ListObjectVersions(list));
    size_t next_prefix = 0;
    for (const ObjectVersion& v : page.versions) {
      // Common prefixes and keys interleave in listing order.
      while (next_prefix < page.common_prefixes.size() &&
             page.common_prefixes[next_prefix] < v.meta.key) {
        finish_group();
        emit_prefix(page.common_prefixes[next_prefix++]);
      }
      if (group.active() && group.key() != v.meta.key) finish_group();
      if (!group.active()) group.Start(v.meta.key);
      group.Offer(v, at_ns_);
    }
    if (next_prefix < page.common_prefixes.size()) finish_group();
    while (next_prefix < page.common_prefixes.size()) {
      emit_prefix(page.common_prefixes[next_prefix++]);
    }
    if (full) break;
    if (!page.truncated) {
      finish_group();
      break;
    }
    list.key_marker = page.next_key_marker;
    list.version_id_marker = page.next_version_id_marker;
  }
  // Stopped on a full page: more may follow (the next page starts after out.last).
  out.truncated = full;
  return out;
}

Result<ObjectMeta> PointInTimeStore::Resolve(std::string_view bucket, std::string_view key) {
  {
    std::lock_guard lock(mu_);
    if (auto it = resolved_.find(CacheKey(bucket, key)); it != resolved_.end()) return it->second;
  }
  ListVersionsRequest list;
  list.bucket = std::string(bucket);
  list.prefix = std::string(key);
  KeyVersions group;
  group.Start(std::string(key));
  for (bool done = false; !done;) {
    FERRY_ASSIGN_OR_RETURN(ListVersionsPage page, inner_->ListObjectVersions(list));
    for (const ObjectVersion& v : page.versions) {
      // The key itself sorts before every longer key it prefixes.
      if (v.meta.key != key) {
        done = true;
        break;
      }
      group.Offer(v, at_ns_);
    }
    if (!page.truncated) break;
    list.key_marker = page.next_key_marker;
    list.version_id_marker = page.next_version_id_marker;
  }
  auto meta = group.Finish();
  if (!meta) return s3err::NoSuchKey(bucket, key);
  Remember(bucket, *meta);
  return std::move(*meta);
}

Result<ObjectMeta> PointInTimeStore::HeadObject(std::string_view bucket, std::string_view key) {
  FERRY_ASSIGN_OR_RETURN(ObjectMeta listed, Resolve(bucket, key));
  return inner_->HeadObjectVersion(bucket, key, listed.version_id);
}

Result<std::unique_ptr<ObjectReader>> PointInTimeStore::OpenObject(std::string_view bucket,
                                                                   std::string_view key,
                                                                   const OpenHints& hints) {
  FERRY_ASSIGN_OR_RETURN(ObjectMeta listed, Resolve(bucket, key));
  // Hints from a listing of this store describe the listed version; others do not apply.
  OpenHints version_hints = hints.etag == listed.etag ? hints : OpenHints{};
  return inner_->OpenObjectVersion(bucket, key, listed.version_id, version_hints);
}

Status PointInTimeStore::CreateBucket(std::string_view) {
  return ReadOnly();
}
Status PointInTimeStore::DeleteBucket(std::string_view) {
  return ReadOnly();
}
Result<std::unique_ptr<ObjectWriter>> PointInTimeStore::PutObject(const PutObjectRequest&) {
  return ReadOnly();
}
Result<ObjectMeta> PointInTimeStore::CopyObject(const CopyObjectRequest&) {
  return ReadOnly();
}
Status PointInTimeStore::DeleteObject(std::string_view, std::string_view) {
  return ReadOnly();
}
Result<MultipartUploadInfo> PointInTimeStore::CreateMultipartUpload(const CreateMultipartRequest&) {
  return ReadOnly();
}
Result<std::unique_ptr<ObjectWriter>> PointInTimeStore::UploadPart(const UploadPartRequest&) {
  return ReadOnly();
}
Result<ObjectMeta> PointInTimeStore::CompleteMultipartUpload(const CompleteMultipartRequest&) {
  return ReadOnly();
}
Status PointInTimeStore::AbortMultipartUpload(std::string_view, std::string_view,
                                              std::string_view) {
  return ReadOnly();
}
Result<ListPartsResult> PointInTimeStore::ListParts(const ListPartsRequest& req) {
  return inner_->ListParts(req);
}
Result<ListUploadsResult> PointInTimeStore::ListMultipartUploads(const ListUploadsRequest& req) {
  return inner_->ListMultipartUploads(req);
}

}  // namespace ferry
