// Walks a local directory tree in S3 key order (see entry.h), with lstat attributes: files,
// directories (each reported before its contents), symbolic links (not followed) and special
// files (devices, sockets, FIFOs, reported so the caller can skip them). Memory: the sorted
// names of the directories on the current path, never the whole tree.
#pragma once

#include <functional>
#include <string>

#include "sync/entry.h"
#include "sync/pattern.h"

namespace ferry::sync {

struct LocalWalkCallbacks {
  std::function<Status(const Entry&)> entry;
  // An entry that could not be read (vanished during the scan, permission denied): reported,
  // the walk goes on.
  std::function<void(const std::string& name, const Status&)> error;
};

// NotFound when root does not exist; InvalidArgument when it is not a directory. Subtrees the
// selector rules out are not read.
Status WalkLocalTree(const std::string& root, const PathSelector& selector,
                     const LocalWalkCallbacks& callbacks);

// Fills entry's kind, size and attributes from lstat of path; false with errno set on failure.
bool StatLocalEntry(const std::string& path, Entry& entry);

}  // namespace ferry::sync
