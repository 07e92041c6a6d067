// The S3 listing walk shared by the local store's ListObjects, ListObjectVersions and
// ListMultipartUploads and by the listing index: prefix filtering,
// delimiter grouping into common prefixes, start-after, and page limits, over any sorted
// source that can seek.
//
// When a key rolls up into a common prefix, the walk seeks past the whole prefix range in one
// step (to PrefixSuccessor(common prefix)) instead of visiting the keys inside it, so a
// listing of "dir/" groups over millions of keys costs one B-tree seek per group. Pure logic;
// thread-compatible (one cursor per walk).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/result.h"

namespace ferry {

// A position in a sequence of entries sorted by key in byte order (keys may repeat).
class SortedCursor {
 public:
  virtual ~SortedCursor() = default;
  // Positions at the first entry whose key >= lower.
  virtual Status Seek(std::string_view lower) = 0;
  virtual Status Next() = 0;
  virtual bool Valid() const = 0;
  // REQUIRES: Valid().
  virtual std::string_view key() const = 0;
};

struct GroupedListing {
  std::string_view prefix;
  std::string_view delimiter;    // empty: no grouping
  std::string_view start_after;  // common prefixes <= this are not returned
  int max_entries = 1000;        // entries + common prefixes
};

struct GroupedResult {
  bool truncated = false;
  std::string last;  // key or common prefix returned last
};

// The smallest byte string greater than every string starting with prefix, or nullopt when
// there is none (empty prefix, or all bytes 0xFF).
std::optional<std::string> PrefixSuccessor(std::string_view prefix);

// The first key a listing with this prefix and exclusive start_after can return:
// max(prefix, start_after + "\0").
std::string ListingStart(std::string_view prefix, std::string_view start_after);

// Walks cursor from its current position, which the caller sets at or after the start (see
// ListingStart); stops at the first key outside prefix. Calls on_entry while the cursor is on
// an entry to return, and on_prefix for each common prefix, in order.
Result<GroupedResult> ListGrouped(SortedCursor& cursor, const GroupedListing& spec,
                                  const std::function<void()>& on_entry,
                                  const std::function<void(const std::string&)>& on_prefix);

}  // namespace ferry
