// --include/--exclude filters with the AWS CLI's semantics: everything is included by
// default, and the filters are applied in order, so the last one that matches a path
// decides. Patterns are shell globs (fnmatch) matched against the path relative to the
// source root, '/'-separated; '*' also matches '/'. Thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::transfer {

// The two forms --include/--exclude are written in. The AWS CLI's: ordered globs, the last
// match deciding, everything included by default (`--exclude '*' --include '*.jpg'`).
// DataSync's: '|'-separated patterns anchored at the source root by a leading '/', a folder
// pattern covering its contents, an exclude always winning, and includes, when given,
// selecting the only paths taken (`--include '/photos|/docs/*.txt'`); sync/pattern.h.
enum class FilterDialect { kAwsCli, kDataSync };

struct FilterFlag {
  bool include;       // --include, else --exclude
  std::string value;  // as given
};

// Whether a value can only be DataSync's: patterns separated by '|' or anchored with '/'.
bool HasDataSyncSyntax(std::string_view value);

// Which form a command's filters (in command-line order) are written in: DataSync's when a
// value has its syntax; the AWS CLI's when an --include follows an --exclude (only there does
// order matter, and only the AWS CLI gives it meaning); else the command's own form (cp: the
// AWS CLI's, sync: DataSync's), for which the two agree on excludes alone.
FilterDialect ChooseFilterDialect(const std::vector<FilterFlag>& flags, FilterDialect native);

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
