// Flags, execution and reporting of `ferry sync`, shared by `ferry task` and `ferry agent`.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/client_flags.h"
#include "cli/filter_flags.h"
#include "cli/index_files.h"
#include "cli/output.h"
#include "cli/run_transfer.h"
#include "cli/sync_flags.h"
#include "index/indexed_store.h"
#include "sync/syncer.h"
#include "transfer/location.h"

namespace ferry::cli {

std::string DefaultStateDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/ferry";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.cache/ferry";
  }
  return "";
}

namespace {

Result<sync::SyncLocation> ToSyncLocation(const std::string& text) {
  FERRY_ASSIGN_OR_RETURN(auto loc, transfer::ParseLocation(text));
  sync::SyncLocation l;
  l.is_s3 = loc.is_s3;
  l.bucket = loc.bucket;
  l.prefix = loc.key;
  if (!l.prefix.empty() && !l.prefix.ends_with('/')) l.prefix += '/';
  l.root = loc.path;
  while (l.root.size() > 1 && l.root.ends_with('/')) l.root.pop_back();
  return l;
}

Result<sync::SyncOptions> BuildOptions(const SyncFlags& f) {
  sync::SyncOptions o;
  FERRY_ASSIGN_OR_RETURN(o.restore, RestoreSettingsOf(f.restore));
  if (f.compare == "changed") {
    o.compare.mode = sync::CompareMode::kChanged;
  } else if (f.compare == "checksum") {
    o.compare.mode = sync::CompareMode::kChecksum;
  } else if (f.compare == "all") {
    o.compare.mode = sync::CompareMode::kAll;
  } else {
    return Status::InvalidArgument("--compare must be changed, checksum or all");
  }
  if (f.verify == "none") {
    o.verify = sync::VerifyMode::kNone;
  } else if (f.verify == "transferred") {
    o.verify = sync::VerifyMode::kTransferred;
  } else if (f.verify == "all") {
    o.verify = sync::VerifyMode::kAll;
  } else {
    return Status::InvalidArgument("--verify must be none, transferred or all");
  }
  o.compare.no_overwrite = f.no_overwrite;
  o.delete_extra = f.delete_extra;
  o.deletion_limits.allow_empty_source = f.allow_empty_source;
  if (f.max_delete >= 0) o.deletion_limits.max_delete = static_cast<uint64_t>(f.max_delete);
  o.dry_run = f.dry_run;
  if (f.dry_run && !f.transfer.json) {
    o.on_planned = [](std::string_view action, std::string_view path) {
      std::printf("(dry run) %.*s: %.*s\n", static_cast<int>(action.size()), action.data(),
                  static_cast<int>(path.size()), path.data());
    };
  }
  for (const auto& item : f.no_preserve) {
    for (size_t start = 0; start <= item.size();) {
      size_t comma = item.find(',', start);
      std::string what = item.substr(start, comma - start);
      if (what == "mode") {
        o.compare.preserve.mode = false;
      } else if (what == "uid" || what == "gid" || what == "owner") {
        o.compare.preserve.owner = false;
      } else if (what == "mtime" || what == "atime" || what == "times") {
        o.compare.preserve.times = false;
      } else if (what == "all") {
        o.compare.preserve = {false, false, false};
      } else {
        return Status::InvalidArgument("--no-preserve: unknown attribute \"" + what +
                                       "\" (mode, uid, gid, mtime, atime, all)");
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  FERRY_RETURN_IF_ERROR(AddSyncFilters(f.filters, o.selector));
  for (const auto& file : f.exclude_files) {
    FERRY_RETURN_IF_ERROR(o.selector.AddExcludesFromFile(file));
  }
  if (!f.manifest.empty()) FERRY_RETURN_IF_ERROR(o.selector.AddManifest(f.manifest));
  o.state_dir = f.state_dir == "none" ? "" : f.state_dir.empty() ? DefaultStateDir() : f.state_dir;
  o.report_path = f.report;
  return o;
}

}  // namespace

int ReportSync(const sync::SyncResult& r, const SyncFlags& f, const StoreStats& stats) {
  const uint64_t retries = stats.retries;
  bool failed = r.failed > 0 || r.verify_failed > 0 || r.deletions_withheld;
  if (f.transfer.json) {
    nlohmann::json j = sync::ResultJson(r);
    j["retries"] = retries;
    j["requests"] = stats.requests;
    j["dry_run"] = f.dry_run;
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& e : r.errors)
      errors.push_back({{"path", e.what}, {"error", Describe(e.status)}});
    j["errors"] = errors;
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else if (!f.transfer.quiet || failed) {
    std::fprintf(
        stderr,
        "%s%s%llu transferred (%s), %llu updated, %llu unchanged, %llu deleted, %llu "
        "failed%s%s%s%s; preparing %s, transferring %s%s%s\n",
        r.interrupted ? "interrupted: " : "", f.dry_run ? "(dry run) " : "",
        static_cast<unsigned long long>(r.transferred), transfer::FormatBytes(r.bytes).c_str(),
        static_cast<unsigned long long>(r.updated), static_cast<unsigned long long>(r.skipped),
        static_cast<unsigned long long>(r.deleted), static_cast<unsigned long long>(r.failed),
        r.verified + r.verify_failed > 0 ? (", " + std::to_string(r.verified) + " verified").c_str()
                                         : "",
        retries > 0 ? (", " + std::to_string(retries) + " retries").c_str() : "",
        r.special_skipped > 0
            ? (", " + std::to_string(r.special_skipped) + " special files skipped").c_str()
            : "",
        r.interrupted_transfers > 0
            ? (", " + std::to_string(r.interrupted_transfers) + " not done").c_str()
            : "",
        transfer::FormatDuration(r.phases.preparing).c_str(),
        transfer::FormatDuration(r.phases.transferring).c_str(),
        r.phases.verifying > 0 ? ", verifying " : "",
        r.phases.verifying > 0 ? transfer::FormatDuration(r.phases.verifying).c_str() : "");
  }
  if (failed) {
    for (const auto& e : r.errors) {
      std::fprintf(stderr, "ferry sync: %s\n", Describe(e.status).c_str());
    }
    if (r.failed + r.verify_failed > r.errors.size()) {
      std::fprintf(stderr, "ferry sync: ... %llu failures in all\n",
                   static_cast<unsigned long long>(r.failed + r.verify_failed));
    }
    if (!r.deletions_refused.empty()) {
      std::fprintf(stderr, "ferry sync: %s\n", r.deletions_refused.c_str());
    } else if (r.deletions_withheld) {
      std::fprintf(stderr,
                   "ferry sync: nothing was deleted because %llu entries failed; fix them and "
                   "run again\n",
                   static_cast<unsigned long long>(r.failed));
    }
    return kExitFailed;
  }
  return kExitOk;
}

void AddSyncOptions(CLI::App& app, SyncFlags& flags) {
  CLI::App* cmd = &app;
  SyncFlags* f = &flags;
  cmd->add_option("SRC", f->src, "Local directory or s3://bucket/prefix")->required();
  cmd->add_option("DST", f->dst, "Local directory or s3://bucket/prefix")->required();
  cmd->add_option("--compare", f->compare,
                  "changed: size and mtime (default); checksum: content checksums; all: copy "
                  "everything");
  cmd->add_flag("--delete", f->delete_extra,
                "Delete destination entries absent from the source (never after a failure)");
  cmd->add_flag("--allow-empty-source", f->allow_empty_source,
                "With --delete: let a source that is empty or missing empty the destination");
  cmd->add_option("--max-delete", f->max_delete,
                  "With --delete: refuse the whole deletion phase when it would delete more than "
                  "N entries")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-overwrite", f->no_overwrite, "Never replace what exists at the destination");
  cmd->add_flag("--dry-run,--dryrun", f->dry_run, "Show the plan, change nothing");
  AddFilterFlags(*cmd, f->filters);
  AddRestoreFlags(*cmd, f->restore);
  cmd->add_option("--exclude-from", f->exclude_files, "Skip the patterns in this file");
  cmd->add_option("--manifest", f->manifest, "Only the paths listed in this file");
  cmd->add_option("--no-preserve", f->no_preserve,
                  "Attributes not to copy or compare: mode,uid,gid,mtime,atime or all");
  cmd->add_option("--verify", f->verify,
                  "none (default); transferred: check what was copied; all: check everything");
  cmd->add_option("--report", f->report, "Write a JSON task report to this file");
  cmd->add_option("--source-index", f->source_index,
                  "A listing index of the s3:// source (`ferry index build`): read instead of "
                  "listing it; keys after its last key are still listed");
  cmd->add_option("--state-dir", f->state_dir,
                  "Where sync keeps its state (default ~/.cache/ferry; \"none\" for none)");
  AddClientFlags(*cmd, f->client);
  auto source_flag = [f](std::string* target) {
    return [f, target](const std::string& value) {
      *target = value;
      f->has_source_client = true;
    };
  };
  cmd->add_option_function<std::string>("--version-at", source_flag(&f->source_client.version_at),
                                        "Sync from the s3:// source as it was at this time "
                                        "(2026-12-01T09:00:00Z): each key's version current then");
  cmd->add_option_function<std::string>("--source-endpoint-url",
                                        source_flag(&f->source_client.endpoint_url),
                                        "Endpoint of a bucket source on another S3 service");
  cmd->add_option_function<std::string>("--source-profile", source_flag(&f->source_client.profile),
                                        "AWS profile for the source bucket");
  cmd->add_option_function<std::string>("--source-region", source_flag(&f->source_client.region),
                                        "Region of the source bucket");
  AddTransferFlags(*cmd, f->transfer);
}

Result<SyncFlags> ParseSyncArgs(const std::vector<std::string>& args) {
  CLI::App app("sync");
  SyncFlags f;
  AddSyncOptions(app, f);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return Status::InvalidArgument(std::string("sync flags: ") + e.what());
  }
  return f;
}

SyncRun ExecuteSync(const SyncFlags& flags, const std::atomic<bool>* interrupt) {
  const SyncFlags* f = &flags;
  SyncRun run;
  auto usage = [&](const Status& st) {
    run.error = st;
    run.usage = true;
    return run;
  };
  auto failed = [&](const Status& st) {
    run.error = st;
    return run;
  };
  auto src = ToSyncLocation(f->src);
  if (!src.ok()) return usage(src.status());
  auto dst = ToSyncLocation(f->dst);
  if (!dst.ok()) return usage(dst.status());
  if (!src->is_s3 && !dst->is_s3) {
    return usage(Status::InvalidArgument("one side of a sync must be s3://"));
  }
  auto options = BuildOptions(*f);
  if (!options.ok()) return usage(options.status());
  bool preserve = options->compare.preserve.mode || options->compare.preserve.times ||
                  options->compare.preserve.owner;
  auto setup = SetUpTransfer(f->transfer, preserve);
  if (!setup.ok()) return usage(setup.status());
  options->transfer = setup->options;
  options->transfer.interrupt = interrupt;
  // Owners can only be given back by root.
  if (!dst->is_s3 && ::geteuid() != 0) options->compare.preserve.owner = false;
  auto store = OpenStore(f->client, setup->limiter.get());
  if (!store.ok()) return usage(store.status());
  options->endpoint_id = EndpointIdOf(**store);
  std::unique_ptr<ObjectStore> source_store;
  if (f->has_source_client) {
    if (!src->is_s3) {
      return usage(Status::InvalidArgument("--source-* and --version-at need an s3:// source"));
    }
    ClientFlags source = f->client;  // TLS and style settings carry over
    if (!f->source_client.endpoint_url.empty()) source.endpoint_url = f->source_client.endpoint_url;
    if (!f->source_client.profile.empty()) source.profile = f->source_client.profile;
    if (!f->source_client.region.empty()) source.region = f->source_client.region;
    source.version_at = f->source_client.version_at;
    auto opened = OpenStore(source, setup->limiter.get());
    if (!opened.ok()) return usage(opened.status().Annotate("source"));
    source_store = std::move(opened).value();
    options->source_endpoint_id = EndpointIdOf(*source_store);
  }
  if (!f->source_index.empty()) {
    if (!src->is_s3) {
      return usage(Status::InvalidArgument("--source-index needs an s3:// source"));
    }
    ObjectStore& lister = source_store ? *source_store : **store;
    auto index = OpenIndexAt(lister, f->source_index, /*whole=*/true);
    if (!index.ok()) return failed(index.status());
    if (Status covers = index::CheckCovers(**index, src->bucket, src->prefix); !covers.ok()) {
      return usage(covers);
    }
    source_store = source_store
                       ? std::make_unique<index::IndexedStore>(*index, std::move(source_store))
                       : std::make_unique<index::IndexedStore>(*index, **store);
  }
  transfer::Progress progress;
  std::optional<Result<sync::SyncResult>> result;
  {
    transfer::ProgressPrinter printer(progress, !f->transfer.quiet && !f->transfer.json &&
                                                    (f->transfer.progress || StderrIsTerminal()));
    ObjectStore& src_store = source_store ? *source_store : **store;
    result.emplace(sync::RunSync(src_store, **store, *src, *dst, *options, progress));
  }
  run.stats = StatsOf(**store);
  if (source_store) {
    StoreStats more = StatsOf(*source_store);
    run.stats.requests += more.requests;
    run.stats.retries += more.retries;
  }
  if (!result->ok()) return failed(result->status());
  run.result = std::move(**result);
  return run;
}

}  // namespace ferry::cli
