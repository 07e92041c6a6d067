// Walking a source tree: the objects under a bucket prefix (streamed page by page, so memory
// stays bounded) and the regular files under a local directory.
#pragma once

#include <functional>
#include <string>

#include "ferry/object_store.h"

namespace ferry::transfer {

// Calls fn for every object whose key starts with prefix (and is greater than start_after),
// in key order. Stops early and returns fn's status when it fails.
Status WalkBucket(ObjectStore& store, const std::string& bucket, const std::string& prefix,
                  const std::function<Status(const ObjectMeta&)>& fn,
                  const std::string& start_after = "");

struct LocalEntry {
  std::string path;      // full path
  std::string relative;  // '/'-separated path under the root
};

// Calls fn for every regular file under root (following symlinks, as `aws s3 cp` does), in
// directory order. Unreadable directories are reported through on_error and skipped.
Status WalkLocal(const std::string& root, const std::function<Status(const LocalEntry&)>& fn,
                 const std::function<void(const std::string& path, const Status&)>& on_error);

// True when a relative path derived from an object key could leave the destination
// directory: absolute, or with a ".." segment.
bool EscapesRoot(std::string_view relative);

}  // namespace ferry::transfer
