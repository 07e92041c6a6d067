#include "transfer/filter.h"

#include <fnmatch.h>

namespace ferry::transfer {

bool HasDataSyncSyntax(std::string_view value) {
  size_t start = value.find_first_not_of(" \t");
  return value.find('|') != std::string_view::npos ||
         (start != std::string_view::npos && value[start] == '/');
}

FilterDialect ChooseFilterDialect(const std::vector<FilterFlag>& flags, FilterDialect native) {
  bool excluded = false, include_after_exclude = false;
  for (const auto& f : flags) {
    if (HasDataSyncSyntax(f.value)) return FilterDialect::kDataSync;
    if (f.include && excluded) include_after_exclude = true;
    if (!f.include) excluded = true;
  }
  return include_after_exclude ? FilterDialect::kAwsCli : native;
}

bool PathFilter::Matches(std::string_view relative_path) const {
  std::string path(relative_path);
  bool included = true;
  for (const auto& rule : rules_) {
    if (::fnmatch(rule.pattern.c_str(), path.c_str(), 0) == 0) included = rule.include;
  }
  return included;
}

}  // namespace ferry::transfer
