#include "transfer/walk.h"

#include <filesystem>

namespace ferry::transfer {

Status WalkBucket(ObjectStore& store, const std::string& bucket, const std::string& prefix,
                  const std::function<Status(const ObjectMeta&)>& fn,
                  const std::string& start_after) {
  ListObjectsRequest req;
  req.bucket = bucket;
  req.prefix = prefix;
  req.start_after = start_after;
  for (;;) {
    auto page = store.ListObjects(req);
    if (!page.ok()) return page.status();
    for (const auto& object : page->objects) FERRY_RETURN_IF_ERROR(fn(object));
    if (!page->truncated || page->last.empty()) return Status::OK();
    req.start_after = page->last;
  }
}

Status WalkLocal(const std::string& root, const std::function<Status(const LocalEntry&)>& fn,
                 const std::function<void(const std::string&, const Status&)>& on_error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto options = fs::directory_options::follow_directory_symlink |
                 fs::directory_options::skip_permission_denied;
  fs::recursive_directory_iterator it(root, options, ec), end;
  if (ec) return Status::IOError(root + ": " + ec.message());
  fs::path base(root);
  for (; it != end; it.increment(ec)) {
    if (ec) {
      on_error(it->path().string(), Status::IOError(it->path().string() + ": " + ec.message()));
      ec.clear();
      continue;
    }
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    LocalEntry entry;
    entry.path = it->path().string();
    entry.relative = it->path().lexically_relative(base).generic_string();
    FERRY_RETURN_IF_ERROR(fn(entry));
  }
  return Status::OK();
}

bool EscapesRoot(std::string_view relative) {
  if (relative.starts_with('/')) return true;
  size_t start = 0;
  while (start <= relative.size()) {
    size_t slash = relative.find('/', start);
    std::string_view segment = relative.substr(start, slash - start);
    if (segment == "..") return true;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return false;
}

}  // namespace ferry::transfer
