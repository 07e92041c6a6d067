#include "sync/bucket_tree.h"

#include <sys/stat.h>

#include "s3/http_semantics.h"

namespace ferry::sync {
namespace {

bool UsableName(std::string_view name) {
  if (name.empty() || name.starts_with('/')) return false;
  size_t start = 0;
  while (start < name.size()) {
    size_t slash = name.find('/', start);
    std::string_view segment = name.substr(start, slash - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

}  // namespace

void ApplyObjectMeta(const ObjectMeta& meta, Entry& entry) {
  entry.attrs = s3::DecodePosixAttributes(meta.headers.user_metadata);
  entry.has_attrs = true;
  if (meta.checksum) entry.checksum = meta.checksum;
  if (!meta.etag.empty()) entry.etag = meta.etag;
  if (entry.attrs.mode && S_ISLNK(*entry.attrs.mode) && !entry.name.ends_with('/')) {
    entry.kind = EntryKind::kSymlink;
  }
}

Status WalkBucketTree(ObjectStore& store, const std::string& bucket, const std::string& prefix,
                      const PathSelector& selector, const std::function<Status(const Entry&)>& fn,
                      const std::function<void(const std::string& key)>& skipped) {
  ListObjectsRequest req;
  req.bucket = bucket;
  req.prefix = prefix;
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(auto page, store.ListObjects(req));
    for (auto& object : page.objects) {
      std::string_view name = std::string_view(object.key).substr(prefix.size());
      if (name.empty()) continue;  // the prefix's own directory marker
      if (!UsableName(name.ends_with('/') ? name.substr(0, name.size() - 1) : name)) {
        skipped(object.key);
        continue;
      }
      if (!selector.Selects(name)) continue;
      Entry e;
      e.name = std::string(name);
      e.kind = name.ends_with('/') ? EntryKind::kDirectory : EntryKind::kFile;
      e.size = object.size;
      e.etag = std::move(object.etag);
      if (s3::IsMd5Etag(e.etag)) e.content_md5 = e.etag;
      e.last_modified_ns = object.last_modified_ns;
      e.storage_class = std::move(object.headers.storage_class);
      FERRY_RETURN_IF_ERROR(fn(e));
    }
    if (!page.truncated || page.last.empty()) return Status::OK();
    req.start_after = page.last;
  }
}

}  // namespace ferry::sync
