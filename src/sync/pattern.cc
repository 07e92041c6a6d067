#include "sync/pattern.h"

#include <fnmatch.h>

#include <fstream>

namespace ferry::sync {
namespace {

// "/a/b/" → "/a/b"; entry names get a leading '/' to match DataSync's form.
std::string Absolute(std::string_view name) {
  std::string p = "/";
  p.append(name);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Status PathSelector::Parse(std::string_view filter, std::vector<std::string>& out) {
  size_t start = 0;
  while (start <= filter.size()) {
    size_t bar = filter.find('|', start);
    std::string_view pattern = Trim(filter.substr(start, bar - start));
    if (pattern.empty() || pattern.find('\0') != std::string_view::npos) {
      return Status::InvalidArgument("bad filter \"" + std::string(filter) +
                                     "\": empty pattern (patterns are separated by '|')");
    }
    std::string p(pattern);
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    // A pattern without a leading '/' or '*' may match at any depth ("tmp" ≡ "*/tmp").
    if (p.front() != '/' && p.front() != '*') p = "*/" + p;
    out.push_back(std::move(p));
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  return Status::OK();
}

Status PathSelector::AddIncludes(std::string_view filter) {
  return Parse(filter, includes_);
}

Status PathSelector::AddExcludes(std::string_view filter) {
  return Parse(filter, excludes_);
}

Status PathSelector::AddExcludesFromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::FromErrno(path, errno);
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l = Trim(line);
    if (l.empty() || l.front() == '#') continue;
    FERRY_RETURN_IF_ERROR(Parse(l, excludes_).Annotate(path));
  }
  return Status::OK();
}

Status PathSelector::AddManifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::FromErrno(path, errno);
  has_manifest_ = true;
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l = Trim(line);
    if (l.empty() || l.front() == '#') continue;
    while (l.starts_with('/')) l.remove_prefix(1);
    manifest_.insert(Absolute(l));
  }
  return Status::OK();
}

bool PathSelector::MatchesOrIsInside(const std::string& pattern, std::string_view path) {
  // The path itself, or any folder containing it ("/a" matches "/a/b/c").
  std::string p(path);
  for (;;) {
    if (::fnmatch(pattern.c_str(), p.c_str(), 0) == 0) return true;
    size_t slash = p.rfind('/');
    if (slash == 0 || slash == std::string::npos) return false;
    p.resize(slash);
  }
}

void PathSelector::UseOrderedGlobs(transfer::PathFilter globs) {
  globs_ = std::move(globs);
}

bool PathSelector::Selects(std::string_view name) const {
  const std::string path = Absolute(name);
  for (const auto& pattern : excludes_) {
    if (MatchesOrIsInside(pattern, path)) return false;
  }
  if (globs_ && !globs_->Matches(std::string_view(path).substr(1))) return false;
  if (includes_.empty() && !has_manifest_) return true;
  for (const auto& pattern : includes_) {
    if (MatchesOrIsInside(pattern, path)) return true;
  }
  // A manifest lists files; a folder is selected only when listed itself.
  if (has_manifest_ && manifest_.contains(path)) return true;
  return false;
}

bool PathSelector::MayDescend(std::string_view dir_name) const {
  const std::string path = Absolute(dir_name);
  for (const auto& pattern : excludes_) {
    if (MatchesOrIsInside(pattern, path)) return false;
  }
  // Includes may match deeper paths: only excludes prune. An ordered glob may re-include
  // anything below an excluded folder ('--exclude "a/*" --include "a/b/*"'): no pruning.
  return true;
}

}  // namespace ferry::sync
