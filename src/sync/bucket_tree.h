// Walks the objects under a bucket prefix as entries (see entry.h), streamed page by page in
// key order. A key ending in '/' is a directory; anything else is a file until its metadata
// says otherwise (a symbolic link is only known from its file-permissions).
#pragma once

#include <functional>
#include <string>

#include "ferry/object_store.h"
#include "sync/entry.h"
#include "sync/pattern.h"

namespace ferry::sync {

// prefix: "" or ending in '/'. Keys that cannot be a relative path (an empty name, "." or
// ".." segments, "//") are passed to skipped and left alone.
Status WalkBucketTree(ObjectStore& store, const std::string& bucket, const std::string& prefix,
                      const PathSelector& selector, const std::function<Status(const Entry&)>& fn,
                      const std::function<void(const std::string& key)>& skipped);

// Completes a bucket entry from a HEAD: attributes, kind, checksum.
void ApplyObjectMeta(const ObjectMeta& meta, Entry& entry);

}  // namespace ferry::sync
