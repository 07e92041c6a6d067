// A directory of a mount as one delimiter listing shows it: the objects directly under the
// prefix are files, the common prefixes are directories. Names that cannot be POSIX names
// ("", ".", "..", or the prefix's own marker) are left out, and where a key `a` and keys
// under `a/` both exist the directory wins and the file is not shown (as in Mountpoint);
// SEMANTICS.md states it. Sizes, ETags and times come from the listing; POSIX attributes
// stored in metadata are read later, per file, when needed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/object_store.h"

namespace ferry::fs {

struct DirectoryEntry {
  std::string name;
  bool is_directory = false;
  uint64_t size = 0;             // files
  std::string etag;              // files
  int64_t last_modified_ns = 0;  // files
  std::string storage_class;     // files
  bool operator==(const DirectoryEntry&) const = default;
};

// The entries of the directory at prefix ("" or ending in '/') from the pages of a listing
// with delimiter '/', sorted by name. Pure.
std::vector<DirectoryEntry> DirectoryEntries(std::string_view prefix,
                                             const std::vector<ListObjectsPage>& pages);

// Lists the directory at prefix from the store (every page).
Result<std::vector<DirectoryEntry>> ListDirectory(ObjectStore& store, const std::string& bucket,
                                                  const std::string& prefix);

}  // namespace ferry::fs
