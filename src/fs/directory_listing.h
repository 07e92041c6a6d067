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

// Which changes made directly in the bucket a mount takes in when it lists a directory again
// (FSx for Lustre's AutoImportPolicy): names that appeared, objects whose ETag or size
// changed, names that disappeared.
struct ImportPolicy {
  bool new_names = true;
  bool changed = true;
  bool deleted = true;
  bool any() const { return new_names || changed || deleted; }
  static ImportPolicy All() { return {}; }
  // "new,changed,deleted" (any subset, any order) or "none".
  static Result<ImportPolicy> Parse(std::string_view text);
};

// A directory listed again: the fresh entries taken into the held ones as policy allows.
// The names whose entry differs between held and the result go to *differing. Pure.
std::vector<DirectoryEntry> MergeListing(const std::vector<DirectoryEntry>& held,
                                         const std::vector<DirectoryEntry>& fresh,
                                         ImportPolicy policy, std::vector<std::string>* differing);

// Lists the directory at prefix from the store (every page).
Result<std::vector<DirectoryEntry>> ListDirectory(ObjectStore& store, const std::string& bucket,
                                                  const std::string& prefix);

}  // namespace ferry::fs
