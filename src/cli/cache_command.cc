// `ferry cache load|release|status|stats PATH...`: ask the running mount that holds PATH.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "fs/control_server.h"
#include "transfer/progress.h"

namespace ferry::cli {
namespace {

struct CacheFlags {
  std::vector<std::string> paths;
  std::string older_than;
  bool json = false;
};

// The root of the mount holding path (where the device changes going up), and path relative
// to it.
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

// "7d", "12h", "30m", "90s" or seconds.
Result<int64_t> ParseAge(const std::string& text) {
  if (text.empty()) return int64_t{0};
  size_t used = 0;
  int64_t n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (...) {
    return Status::InvalidArgument("--older-than: " + text);
  }
  std::string unit = text.substr(used);
  int64_t scale = unit.empty() || unit == "s" ? 1
                  : unit == "m"               ? 60
                  : unit == "h"               ? 3600
                  : unit == "d"               ? 86400
                                              : 0;
  if (scale == 0 || n < 0) return Status::InvalidArgument("--older-than: " + text);
  return n * scale;
}

int Run(const std::string& op, const CacheFlags& f) {
  const std::string command = "cache " + op;
  auto age = ParseAge(f.older_than);
  if (!age.ok()) return Fail(command, age.status(), true);
  std::vector<std::string> paths = f.paths.empty() ? std::vector<std::string>{"."} : f.paths;
  bool failed = false;
  for (const auto& path : paths) {
    auto mount = MountOf(path);
    if (!mount.ok()) {
      failed = true;
      Fail(command, mount.status());
      continue;
    }
    nlohmann::json request = {{"op", op}, {"path", mount->second}};
    if (*age > 0) request["older_than_s"] = *age;
    auto answer = fs::AskMount(mount->first, request);
    if (!answer.ok()) {
      failed = true;
      Fail(command, answer.status().Annotate(path));
      continue;
    }
    if (f.json || op == "stats") {
      std::printf("%s\n", answer->dump().c_str());
    } else if (op == "status") {
      for (const auto& file : (*answer)["files"]) {
        uint64_t size = file["size"], cached = file["cached_bytes"];
        std::printf("%-10s %3.0f%%  %s\n", transfer::FormatBytes(cached).c_str(),
                    size ? 100.0 * static_cast<double>(cached) / static_cast<double>(size) : 100.0,
                    file["path"].get<std::string>().c_str());
      }
    } else if (op == "load") {
      std::fprintf(stderr, "%s: %llu files, %s loaded\n", path.c_str(),
                   static_cast<unsigned long long>((*answer)["files"].get<uint64_t>()),
                   transfer::FormatBytes((*answer)["loaded_bytes"].get<uint64_t>()).c_str());
    } else {
      std::fprintf(stderr, "%s: %llu files, %s released\n", path.c_str(),
                   static_cast<unsigned long long>((*answer)["files"].get<uint64_t>()),
                   transfer::FormatBytes((*answer)["released_bytes"].get<uint64_t>()).c_str());
    }
  }
  return failed ? kExitFailed : kExitOk;
}

}  // namespace

CommandRunner AddCacheCommand(CLI::App& app) {
  auto f = std::make_shared<CacheFlags>();
  CLI::App* cache = app.add_subcommand("cache", "Preload, release and inspect a mount's cache");
  cache->require_subcommand(1);
  std::vector<std::pair<std::string, CLI::App*>> ops;
  for (const char* op : {"load", "release", "status", "stats"}) {
    const char* help = std::string(op) == "load"      ? "Fetch files or trees into the cache now"
                       : std::string(op) == "release" ? "Drop cached data (names stay)"
                       : std::string(op) == "status"  ? "Cached bytes per file"
                                                      : "Hits, misses, evictions, cache use";
    CLI::App* sub = cache->add_subcommand(op, help);
    sub->add_option("PATH", f->paths, "Paths inside a ferry mount (default .)");
    sub->add_flag("--json", f->json, "JSON output");
    if (std::string(op) == "release") {
      sub->add_option("--older-than", f->older_than, "Only blocks unused this long: 7d, 12h");
    }
    ops.emplace_back(op, sub);
  }
  return [f, ops] {
    for (const auto& [op, sub] : ops) {
      if (sub->parsed()) return Run(op, *f);
    }
    return kExitUsage;
  };
}

}  // namespace ferry::cli
