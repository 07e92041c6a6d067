#include "cli/mount_paths.h"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

namespace ferry::cli {

Result<std::pair<std::string, std::string>> MountOf(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::absolute(path, ec).lexically_normal();
  struct stat st;
  if (::stat(p.c_str(), &st) != 0) return Status::FromErrno(path, errno);
  auto root = p;
  while (root.has_parent_path() && root != root.root_path()) {
    struct stat up;
    if (::stat(root.parent_path().c_str(), &up) != 0 || up.st_dev != st.st_dev) break;
    root = root.parent_path();
  }
  std::string relative = p.lexically_relative(root).generic_string();
  if (relative == ".") relative.clear();
  std::string root_text = root.string();
  while (root_text.size() > 1 && root_text.ends_with('/')) root_text.pop_back();
  return std::make_pair(root_text, relative);
}

}  // namespace ferry::cli
