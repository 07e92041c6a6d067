#include "sync/deletion_guard.h"

namespace ferry::sync {

std::string DeletionRefusal(const DeletionLimits& limits, uint64_t source_entries,
                            uint64_t deletions, const std::string& source,
                            const std::string& destination) {
  if (deletions == 0) return "";
  const std::string count = std::to_string(deletions) + (deletions == 1 ? " entry" : " entries");
  if (source_entries == 0 && !limits.allow_empty_source) {
    return "the source " + source + " is empty or does not exist; refusing to delete " + count +
           " of " + destination + " (give --allow-empty-source to empty it)";
  }
  if (limits.max_delete && deletions > *limits.max_delete) {
    return "deleting " + count + " of " + destination + " exceeds --max-delete " +
           std::to_string(*limits.max_delete) + "; nothing was deleted";
  }
  return "";
}

}  // namespace ferry::sync
