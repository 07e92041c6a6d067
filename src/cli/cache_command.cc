// `ferry cache load|release|status|stats|refresh|prefetch PATH...`: ask the running mount
// that holds PATH.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <variant>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/mount_paths.h"
#include "cli/output.h"
#include "fs/cache_messages.h"
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

unsigned long long N(uint64_t n) {
  return static_cast<unsigned long long>(n);
}

double Percent(uint64_t part, uint64_t whole, double if_empty) {
  return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : if_empty;
}

void PrintStats(const fs::StatsAnswer& s) {
  std::printf("cache       %s of %s (%.0f%%), %llu blocks\n",
              transfer::FormatBytes(s.bytes_used).c_str(),
              transfer::FormatBytes(s.capacity_bytes).c_str(),
              Percent(s.bytes_used, s.capacity_bytes, 0), N(s.blocks));
  std::printf("reads       %llu hits (%llu from memory), %llu misses\n", N(s.hits),
              N(s.memory_hits), N(s.misses));
  std::printf("store       %llu fetches, %s\n", N(s.fetches),
              transfer::FormatBytes(s.bytes_from_store).c_str());
  std::printf("blocks      %llu stored, %llu evicted, %llu refused\n", N(s.stored), N(s.evicted),
              N(s.refused));
  const fs::PrefetchStats& p = s.prefetch;
  if (p.planned > 0) {
    std::printf("prefetch    %llu of %llu planned files loaded (%s), %llu failures\n",
                N(p.loaded_files), N(p.planned), transfer::FormatBytes(p.loaded_bytes).c_str(),
                N(p.failures));
  }
}

// Prints a human-readable answer for path; false when it reports a failure.
bool PrintAnswer(const std::string& path, const fs::CacheAnswer& answer) {
  if (const auto* stats = std::get_if<fs::StatsAnswer>(&answer)) {
    PrintStats(*stats);
  } else if (const auto* status = std::get_if<fs::StatusAnswer>(&answer)) {
    for (const auto& file : status->files) {
      std::printf("%-10s %3.0f%%  %s\n", transfer::FormatBytes(file.cached_bytes).c_str(),
                  Percent(file.cached_bytes, file.size, 100), file.path.c_str());
    }
  } else if (const auto* load = std::get_if<fs::LoadAnswer>(&answer)) {
    std::fprintf(stderr, "%s: %llu files, %s of %s in the cache\n", path.c_str(), N(load->files),
                 transfer::FormatBytes(load->loaded_bytes).c_str(),
                 transfer::FormatBytes(load->total_bytes).c_str());
    if (load->loaded_bytes < load->total_bytes) {
      std::fprintf(stderr,
                   "ferry cache load: %s could not be kept (the cache refused %llu blocks: "
                   "is it full, see --cache-size, or is its directory unwritable?)\n",
                   transfer::FormatBytes(load->total_bytes - load->loaded_bytes).c_str(),
                   N(load->refused));
      return false;
    }
  } else if (const auto* refresh = std::get_if<fs::RefreshAnswer>(&answer)) {
    std::fprintf(stderr, "%s: %llu names changed\n", path.c_str(), N(refresh->changed));
  } else if (const auto* prefetch = std::get_if<fs::PrefetchAnswer>(&answer)) {
    std::fprintf(stderr, "%s: prefetching %llu files in order\n", path.c_str(), N(prefetch->files));
  } else if (const auto* release = std::get_if<fs::ReleaseAnswer>(&answer)) {
    std::fprintf(stderr, "%s: %llu files, %s released\n", path.c_str(), N(release->files),
                 transfer::FormatBytes(release->released_bytes).c_str());
  }
  return true;
}

int Run(fs::CacheOp op, const CacheFlags& f) {
  const std::string command = "cache " + std::string(fs::CacheOpName(op));
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
    fs::CacheRequest request{
        .op = op, .path = mount->second, .older_than_s = *age, .recursive = f.recursive};
    if (op == fs::CacheOp::kPrefetch) {
      auto order = ReadOrder(f.order_file, mount->first, mount->second);
      if (!order.ok()) return Fail(command, order.status(), true);
      request.paths = std::move(order).value();
    }
    const bool show_progress = !f.json && ::isatty(STDERR_FILENO);
    bool shown = false;
    auto answer = fs::AskCache(mount->first, request, [&](const fs::LoadProgress& p) {
      if (!show_progress) return;
      std::fprintf(stderr, "\r\033[K%s: %llu files, %s of %s loaded", path.c_str(), N(p.files),
                   transfer::FormatBytes(p.loaded_bytes).c_str(),
                   transfer::FormatBytes(p.total_bytes).c_str());
      shown = true;
    });
    if (shown) std::fputs("\r\033[K", stderr);
    if (!answer.ok()) {
      failed = true;
      Fail(command, answer.status().Annotate(path));
      continue;
    }
    if (f.json) {
      std::printf("%s\n", fs::EncodeAnswer(*answer).dump().c_str());
    } else if (!PrintAnswer(path, *answer)) {
      failed = true;
    }
  }
  return failed ? kExitFailed : kExitOk;
}

}  // namespace

CommandRunner AddCacheCommand(CLI::App& app) {
  auto f = std::make_shared<CacheFlags>();
  CLI::App* cache = app.add_subcommand("cache", "Preload, release and inspect a mount's cache");
  cache->require_subcommand(1);
  std::vector<std::pair<fs::CacheOp, CLI::App*>> ops;
  const std::vector<std::pair<fs::CacheOp, std::string>> helps = {
      {fs::CacheOp::kLoad, "Fetch files or trees into the cache now"},
      {fs::CacheOp::kRelease, "Drop cached data (names stay)"},
      {fs::CacheOp::kStatus, "Cached bytes per file"},
      {fs::CacheOp::kStats, "Hits, misses, evictions, cache use, prefetch progress"},
      {fs::CacheOp::kRefresh, "Take in changes made in the bucket now (names, sizes, metadata)"},
      {fs::CacheOp::kPrefetch,
       "Prefetch files in the order a job will read them, just ahead of it"}};
  for (const auto& [op, help] : helps) {
    CLI::App* sub = cache->add_subcommand(std::string(fs::CacheOpName(op)), help);
    sub->add_option("PATH", f->paths,
                    op == fs::CacheOp::kPrefetch
                        ? "A directory inside the mount that relative paths in the order file "
                          "start from (default .)"
                        : "Paths inside a ferry mount (default .)");
    sub->add_flag("--json", f->json, "JSON output");
    if (op == fs::CacheOp::kRelease) {
      sub->add_option("--older-than", f->older_than, "Only blocks unused this long: 7d, 12h");
    }
    if (op == fs::CacheOp::kRefresh) {
      sub->add_flag("--recursive,-r", f->recursive, "Also the directories below, as listed");
    }
    if (op == fs::CacheOp::kPrefetch) {
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
