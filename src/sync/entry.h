// One item of a tree being synchronized, local or in a bucket, named by its path relative to
// the tree's root in S3 key form: '/'-separated, a directory with a trailing '/'. Walkers
// produce entries in byte order of that name, which is S3's key order, so two trees can be
// compared in one merge pass.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ferry/object_store.h"
#include "s3/posix_meta.h"

namespace ferry::sync {

enum class EntryKind { kFile, kDirectory, kSymlink, kSpecial };

struct Entry {
  std::string name;  // "a/b.txt", "a/" for a directory
  EntryKind kind = EntryKind::kFile;
  uint64_t size = 0;
  // Local: from lstat. Bucket: from the object's metadata once known (see has_attrs).
  s3::PosixAttributes attrs;
  bool has_attrs = false;  // bucket entries: false until a HEAD (or the state) supplied them

  // Local entries.
  uint64_t dev = 0;
  uint64_t ino = 0;
  int64_t ctime_ns = 0;

  // Bucket entries, from the listing.
  std::string etag;
  int64_t last_modified_ns = 0;
  std::string storage_class;
  std::optional<ObjectChecksum> checksum;  // once known (HEAD with checksum mode, or state)
  // Hex MD5 of the contents: a single-part object's ETag, or computed for a local file when
  // the object it is compared with has no checksum (servers without additional checksums).
  std::string content_md5;
};

const char* KindName(EntryKind kind);

}  // namespace ferry::sync
