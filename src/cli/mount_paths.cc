#include "cli/mount_paths.h"

#include "cli/sync_flags.h"
#include "transfer/location.h"

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

Result<MountTarget> CheckMountArguments(const std::string& source, const std::string& mountpoint) {
  FERRY_ASSIGN_OR_RETURN(auto loc, transfer::ParseLocation(source));
  if (!loc.is_s3) return Status::InvalidArgument(source + ": the source must be s3://");
  MountTarget target{loc.bucket, loc.key};
  if (!target.prefix.empty() && !target.prefix.ends_with('/')) target.prefix += '/';
  std::error_code ec;
  if (!std::filesystem::is_directory(mountpoint, ec)) {
    return Status::InvalidArgument(mountpoint + ": not a directory");
  }
  if (!std::filesystem::is_empty(mountpoint, ec)) {
    return Status::InvalidArgument(mountpoint + ": not empty");
  }
  return target;
}

std::string DefaultDirFor(const std::string& kind, const std::string& bucket,
                          const std::string& prefix) {
  std::string name = bucket;
  if (!prefix.empty()) {
    name += '-';
    for (char c : prefix) name += (c == '/') ? '_' : c;
    while (name.back() == '_') name.pop_back();
  }
  return DefaultStateDir() + "/" + kind + "/" + name.substr(0, 200);
}

CLI::Validator OctalMode() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const bool octal = !text.empty() && text.size() <= 5 &&
                           text.find_first_not_of("01234567") == std::string::npos;
        return octal ? "" : "'" + text + "' is not an octal mode (such as 0644)";
      },
      "MODE");
}

}  // namespace ferry::cli
