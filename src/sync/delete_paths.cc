#include "sync/delete_paths.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "transfer/bulk_delete.h"

namespace ferry::sync {

void DeletePaths(ObjectStore& store, const SyncLocation& dst, const std::vector<std::string>& names,
                 const std::function<void(const std::string& name, const Status& st)>& done) {
  if (dst.is_s3) {
    for (size_t i = 0; i < names.size(); i += transfer::kDeleteBatch) {
      std::vector<std::string> keys;
      for (size_t j = i; j < std::min(names.size(), i + transfer::kDeleteBatch); ++j) {
        keys.push_back(dst.prefix + names[j]);
      }
      auto statuses = store.DeleteObjects(dst.bucket, keys);
      for (size_t j = 0; j < keys.size(); ++j) {
        done(names[i + j], statuses.ok() ? (*statuses)[j] : statuses.status());
      }
    }
    return;
  }
  // Children come after their directory in key order: going backwards empties a directory
  // before it is removed. A directory that still holds synced entries stays (rmdir refuses).
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    const std::string path = dst.LocalPath(*it);
    const int rc = it->ends_with('/') ? ::rmdir(path.c_str()) : ::unlink(path.c_str());
    if (rc != 0 && it->ends_with('/') && (errno == ENOTEMPTY || errno == EEXIST)) continue;
    done(*it, rc == 0 ? Status::OK() : Status::FromErrno(path, errno));
  }
}

}  // namespace ferry::sync
