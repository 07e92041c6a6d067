#include "store/grouped_listing.h"

namespace ferry {

std::optional<std::string> PrefixSuccessor(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    auto last = static_cast<unsigned char>(out.back());
    if (last != 0xFF) {
      out.back() = static_cast<char>(last + 1);
      return out;
    }
    out.pop_back();
  }
  return std::nullopt;
}

std::string ListingStart(std::string_view prefix, std::string_view start_after) {
  std::string after(start_after);
  after.push_back('\0');
  if (start_after.empty() || std::string_view(after) < prefix) return std::string(prefix);
  return after;
}

Result<GroupedResult> ListGrouped(SortedCursor& cursor, const GroupedListing& spec,
                                  const std::function<void()>& on_entry,
                                  const std::function<void(const std::string&)>& on_prefix) {
  GroupedResult result;
  int count = 0;
  while (cursor.Valid()) {
    std::string_view key = cursor.key();
    if (!key.starts_with(spec.prefix)) break;
    size_t pos = spec.delimiter.empty() ? std::string_view::npos
                                        : key.find(spec.delimiter, spec.prefix.size());
    if (pos == std::string_view::npos) {
      if (count == spec.max_entries) {
        result.truncated = true;
        break;
      }
      on_entry();
      result.last.assign(cursor.key());
      ++count;
      FERRY_RETURN_IF_ERROR(cursor.Next());
      continue;
    }
    std::string common(key.substr(0, pos + spec.delimiter.size()));
    if (common > spec.start_after) {
      if (count == spec.max_entries) {
        result.truncated = true;
        break;
      }
      on_prefix(common);
      result.last = common;
      ++count;
    }
    auto next = PrefixSuccessor(common);
    if (!next) break;
    FERRY_RETURN_IF_ERROR(cursor.Seek(*next));
  }
  return result;
}

}  // namespace ferry
