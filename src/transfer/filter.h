// --include/--exclude filters with the AWS CLI's semantics: everything is included by
// default, and the filters are applied in order, so the last one that matches a path
// decides. Patterns are shell globs (fnmatch) matched against the path relative to the
// source root, '/'-separated; '*' also matches '/'. Thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::transfer {

class PathFilter {
 public:
  void Include(std::string pattern) { rules_.push_back({std::move(pattern), true}); }
  void Exclude(std::string pattern) { rules_.push_back({std::move(pattern), false}); }
  bool empty() const { return rules_.empty(); }
  bool Matches(std::string_view relative_path) const;

 private:
  struct Rule {
    std::string pattern;
    bool include;
  };
  std::vector<Rule> rules_;
};

}  // namespace ferry::transfer
