// `ferry cache load|release|status|stats|refresh|prefetch PATH...`: ask the running mount
// that holds PATH.
#include <sys/stat.h>
#include <unistd.h>

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
  std::string order_file;
  bool recursive = false;
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

// The paths of an order file (one per line) relative to the mount's root: relative ones are
// taken relative to base (a directory inside the mount), absolute ones must lie under root.
// Lexical only: resolving each through the mount would cost the lookups prefetch avoids.
Result<std::vector<std::string>> ReadOrder(const std::string& file, const std::string& root,
                                           const std::string& base) {
  std::FILE* in = file == "-" ? stdin : std::fopen(file.c_str(), "r");
  if (!in) return Status::FromErrno(file, errno);
  std::vector<std::string> paths;
  const std::filesystem::path root_path(root);
  char* line = nullptr;
  size_t capacity = 0;
  Status st;
  for (ssize_t n; (n = ::getline(&line, &capacity, in)) >= 0;) {
    std::string text(line, static_cast<size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.empty()) continue;
    std::filesystem::path p(text);
    std::string relative =
        p.is_absolute() ? p.lexically_normal().lexically_relative(root_path).generic_string()
                        : (std::filesystem::path(base) / p).lexically_normal().generic_string();
    if (relative.empty() || relative.starts_with("..")) {
      st = Status::InvalidArgument(file + ": " + text + " is not inside the mount at " + root);
      break;
    }
    paths.push_back(std::move(relative));
  }
  std::free(line);
  if (in != stdin) std::fclose(in);
  FERRY_RETURN_IF_ERROR(st);
  return paths;
}

void PrintStats(const nlohmann::json& s) {
  auto n = [&](const char* key) { return s.value(key, uint64_t{0}); };
  const uint64_t used = n("bytes_used"), capacity = n("capacity_bytes");
  std::printf("cache       %s of %s (%.0f%%), %llu blocks\n", transfer::FormatBytes(used).c_str(),
              transfer::FormatBytes(capacity).c_str(),
              capacity ? 100.0 * static_cast<double>(used) / static_cast<double>(capacity) : 0.0,
              static_cast<unsigned long long>(n("blocks")));
  std::printf("reads       %llu hits (%llu from memory), %llu misses\n",
              static_cast<unsigned long long>(n("hits")),
              static_cast<unsigned long long>(n("memory_hits")),
              static_cast<unsigned long long>(n("misses")));
  std::printf("store       %llu fetches, %s\n", static_cast<unsigned long long>(n("fetches")),
              transfer::FormatBytes(n("bytes_from_store")).c_str());
  std::printf("blocks      %llu stored, %llu evicted, %llu refused\n",
              static_cast<unsigned long long>(n("stored")),
              static_cast<unsigned long long>(n("evicted")),
              static_cast<unsigned long long>(n("refused")));
  const nlohmann::json p = s.value("prefetch", nlohmann::json::object());
  if (p.value("planned", uint64_t{0}) > 0) {
    std::printf("prefetch    %llu of %llu planned files loaded (%s), %llu failures\n",
                static_cast<unsigned long long>(p.value("loaded_files", uint64_t{0})),
                static_cast<unsigned long long>(p.value("planned", uint64_t{0})),
                transfer::FormatBytes(p.value("loaded_bytes", uint64_t{0})).c_str(),
                static_cast<unsigned long long>(p.value("failures", uint64_t{0})));
  }
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
    if (f.recursive) request["recursive"] = true;
    if (op == "prefetch") {
      auto order = ReadOrder(f.order_file, mount->first, mount->second);
      if (!order.ok()) return Fail(command, order.status(), true);
      request["paths"] = std::move(order).value();
    }
    const bool show_progress = !f.json && ::isatty(STDERR_FILENO);
    bool shown = false;
    auto answer = fs::AskMount(mount->first, request, [&](const nlohmann::json& p) {
      if (!show_progress) return;
      std::fprintf(stderr, "\r\033[K%s: %llu files, %s of %s loaded", path.c_str(),
                   static_cast<unsigned long long>(p.value("files", uint64_t{0})),
                   transfer::FormatBytes(p.value("loaded_bytes", uint64_t{0})).c_str(),
                   transfer::FormatBytes(p.value("total_bytes", uint64_t{0})).c_str());
      shown = true;
    });
    if (shown) std::fputs("\r\033[K", stderr);
    if (!answer.ok()) {
      failed = true;
      Fail(command, answer.status().Annotate(path));
      continue;
    }
    if (f.json) {
      std::printf("%s\n", answer->dump().c_str());
    } else if (op == "stats") {
      PrintStats(*answer);
    } else if (op == "status") {
      for (const auto& file : (*answer)["files"]) {
        uint64_t size = file["size"], cached = file["cached_bytes"];
        std::printf("%-10s %3.0f%%  %s\n", transfer::FormatBytes(cached).c_str(),
                    size ? 100.0 * static_cast<double>(cached) / static_cast<double>(size) : 100.0,
                    file["path"].get<std::string>().c_str());
      }
    } else if (op == "load") {
      const uint64_t loaded = (*answer)["loaded_bytes"].get<uint64_t>();
      const uint64_t wanted = answer->value("total_bytes", loaded);
      std::fprintf(stderr, "%s: %llu files, %s of %s in the cache\n", path.c_str(),
                   static_cast<unsigned long long>((*answer)["files"].get<uint64_t>()),
                   transfer::FormatBytes(loaded).c_str(), transfer::FormatBytes(wanted).c_str());
      if (loaded < wanted) {
        failed = true;
        std::fprintf(stderr,
                     "ferry cache load: %s could not be kept (the cache refused %llu blocks: "
                     "is it full, see --cache-size, or is its directory unwritable?)\n",
                     transfer::FormatBytes(wanted - loaded).c_str(),
                     static_cast<unsigned long long>(answer->value("refused", uint64_t{0})));
      }
    } else if (op == "refresh") {
      std::fprintf(stderr, "%s: %llu names changed\n", path.c_str(),
                   static_cast<unsigned long long>((*answer)["changed"].get<uint64_t>()));
    } else if (op == "prefetch") {
      std::fprintf(stderr, "%s: prefetching %llu files in order\n", path.c_str(),
                   static_cast<unsigned long long>((*answer)["files"].get<uint64_t>()));
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
  const std::vector<std::pair<std::string, std::string>> helps = {
      {"load", "Fetch files or trees into the cache now"},
      {"release", "Drop cached data (names stay)"},
      {"status", "Cached bytes per file"},
      {"stats", "Hits, misses, evictions, cache use, prefetch progress"},
      {"refresh", "Take in changes made in the bucket now (names, sizes, metadata)"},
      {"prefetch", "Prefetch files in the order a job will read them, just ahead of it"}};
  for (const auto& [op, help] : helps) {
    CLI::App* sub = cache->add_subcommand(op, help);
    sub->add_option("PATH", f->paths,
                    op == "prefetch" ? "A directory inside the mount that relative paths in the "
                                       "order file start from (default .)"
                                     : "Paths inside a ferry mount (default .)");
    sub->add_flag("--json", f->json, "JSON output");
    if (op == "release") {
      sub->add_option("--older-than", f->older_than, "Only blocks unused this long: 7d, 12h");
    }
    if (op == "refresh") {
      sub->add_flag("--recursive,-r", f->recursive, "Also the directories below, as listed");
    }
    if (op == "prefetch") {
      sub->add_option("--order", f->order_file,
                      "File with one path per line, in read order (- for stdin)")
          ->required();
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
