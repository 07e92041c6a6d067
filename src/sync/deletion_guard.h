// The checks `sync --delete` passes before deleting anything at the destination. A typo in the
// source (a prefix that does not exist lists nothing) must not empty the destination, and a
// deletion larger than the user allowed must not start (rclone's "directory not found" and
// --max-delete).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ferry::sync {

struct DeletionLimits {
  bool allow_empty_source = false;     // --allow-empty-source
  std::optional<uint64_t> max_delete;  // --max-delete N
};

// Empty when `deletions` entries may be deleted; otherwise why the whole deletion phase is
// refused, in words for the user. source_entries: what the source listed (after filters).
std::string DeletionRefusal(const DeletionLimits& limits, uint64_t source_entries,
                            uint64_t deletions, const std::string& source,
                            const std::string& destination);

}  // namespace ferry::sync
