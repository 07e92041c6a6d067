#include "transfer/filter.h"

#include <fnmatch.h>

namespace ferry::transfer {

bool PathFilter::Matches(std::string_view relative_path) const {
  std::string path(relative_path);
  bool included = true;
  for (const auto& rule : rules_) {
    if (::fnmatch(rule.pattern.c_str(), path.c_str(), 0) == 0) included = rule.include;
  }
  return included;
}

}  // namespace ferry::transfer
