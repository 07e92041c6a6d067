// Which paths a sync looks at, in DataSync's terms: include and exclude filters made of
// SIMPLE_PATTERN patterns ("/photos|/docs/*.txt": patterns separated by '|', relative to the
// source root with a leading '/', '*' matching any run of characters including '/'; a pattern
// naming a folder matches the folder and everything in it), exclude patterns read from files
// (one per line, '#' comments), and a manifest (only the listed paths). An entry passes when
// it matches no exclude and, if there are includes or a manifest, matches one of them.
// Thread-compatible; matching is const.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "ferry/result.h"
#include "transfer/filter.h"

namespace ferry::sync {

class PathSelector {
 public:
  // Adds the patterns of one filter string; InvalidArgument for an empty pattern or one
  // with a NUL byte.
  Status AddIncludes(std::string_view filter);
  Status AddExcludes(std::string_view filter);
  // Exclude patterns from a file, one per line.
  Status AddExcludesFromFile(const std::string& path);
  // Paths (relative to the source root, one per line, with or without a leading '/').
  Status AddManifest(const std::string& path);
  // Filters written in the AWS CLI's form instead (transfer/filter.h): ordered globs, the last
  // match deciding; they replace AddIncludes/AddExcludes, exclude files and manifests apply
  // as well.
  void UseOrderedGlobs(transfer::PathFilter globs);

  bool empty() const { return includes_.empty() && excludes_.empty() && !has_manifest_ && !globs_; }

  // name: an entry name as in entry.h ("a/b.txt", "a/" for a directory).
  bool Selects(std::string_view name) const;
  // Whether anything below the directory `name` ("a/") can be selected: lets a walker skip
  // excluded subtrees without reading them.
  bool MayDescend(std::string_view dir_name) const;

 private:
  static Status Parse(std::string_view filter, std::vector<std::string>& out);
  static bool MatchesOrIsInside(const std::string& pattern, std::string_view path);

  std::vector<std::string> includes_;  // each "/..." without a trailing '/'
  std::vector<std::string> excludes_;
  std::unordered_set<std::string> manifest_;  // "/a/b.txt"
  bool has_manifest_ = false;
  std::optional<transfer::PathFilter> globs_;
};

}  // namespace ferry::sync
