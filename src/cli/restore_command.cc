// `ferry restore s3://bucket/prefix [--tier bulk] [--days 7] [--wait]`: asks for a restore of
// every archived object under a prefix (or of one object), in parallel, and with --wait polls
// until all of them can be read. Running it again is harmless: objects restored or being
// restored are counted, not failed.
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/filter_flags.h"
#include "cli/interruption.h"
#include "cli/output.h"
#include "cli/restore_flags.h"
#include "core/duration.h"
#include "transfer/location.h"
#include "transfer/restore.h"
#include "transfer/walk.h"

namespace ferry::cli {
namespace {

struct RestoreOptions {
  ClientFlags client;
  std::string url;
  std::string tier = "standard";
  int days = 1;
  bool wait = false;
  std::string wait_timeout;  // duration; empty: no limit
  size_t parallel = 32;
  bool dry_run = false;
  bool json = false;
  bool quiet = false;
  std::vector<transfer::FilterFlag> filters;
};

// The archived objects the URL names: the object itself when it is one, else every one under
// the prefix ("dir" meaning "dir/") that the filters select. not_archived counts the others.
Result<std::vector<transfer::RestoreTarget>> ArchivedUnder(
    ObjectStore& store, const transfer::Location& loc,
    const std::function<bool(std::string_view)>& selects, uint64_t* not_archived) {
  std::vector<transfer::RestoreTarget> keys;
  if (!loc.key.empty() && !loc.key.ends_with('/')) {
    auto head = store.HeadObject(loc.bucket, loc.key);
    if (head.ok()) {
      if (transfer::MayNeedRestore(*head)) {
        keys.push_back(transfer::TargetOf(*head));
      } else {
        ++*not_archived;
      }
      return keys;
    }
    if (!head.status().IsNotFound()) {
      return head.status();
    }
  }
  std::string prefix = loc.key.empty() || loc.key.ends_with('/') ? loc.key : loc.key + "/";
  FERRY_RETURN_IF_ERROR(transfer::WalkBucket(store, loc.bucket, prefix, [&](const ObjectMeta& o) {
    if (selects && !selects(std::string_view(o.key).substr(prefix.size()))) return Status::OK();
    if (transfer::MayNeedRestore(o)) {
      keys.push_back(transfer::TargetOf(o));
    } else {
      ++*not_archived;
    }
    return Status::OK();
  }));
  return keys;
}

int RunRestore(const RestoreOptions& o) {
  auto loc = transfer::ParseLocation(o.url);
  if (!loc.ok() || !loc->is_s3 || loc->bucket.empty()) {
    return Fail("restore", Status::InvalidArgument(o.url + ": not an s3://bucket/prefix URL"),
                true);
  }
  auto tier = RestoreTier(o.tier);
  if (!tier.ok()) return Fail("restore", tier.status(), true);
  int64_t timeout_ns = 0;
  if (!o.wait_timeout.empty()) {
    auto parsed = ParseDurationNs(o.wait_timeout);
    if (!parsed.ok()) return Fail("restore", parsed.status().Annotate("--wait-timeout"), true);
    timeout_ns = *parsed;
  }
  auto selects = CopySelection(o.filters);
  if (!selects.ok()) return Fail("restore", selects.status(), true);
  Interruption interruption{"restore"};
  auto store = OpenStore(o.client);
  if (!store.ok()) return Fail("restore", store.status(), true);

  const auto start = std::chrono::steady_clock::now();
  uint64_t not_archived = 0;
  auto keys = ArchivedUnder(**store, *loc, *selects, &not_archived);
  if (!keys.ok()) return Fail("restore", keys.status());
  transfer::RestoreSettings settings;
  settings.tier = *tier;
  settings.days = o.days;
  settings.parallel = o.parallel;

  const bool draw = !o.quiet && !o.json && StderrIsTerminal();
  std::mutex mu;
  size_t answered = 0;
  std::vector<std::pair<std::string, Status>> failures;
  transfer::RestoreTally tally;
  if (o.dry_run) {
    for (const auto& t : *keys)
      std::printf("(dryrun) restore: s3://%s/%s\n", loc->bucket.c_str(), t.key.c_str());
  } else {
    tally = transfer::RequestRestores(
        **store, loc->bucket, *keys, settings,
        [&](const std::string& key, transfer::RestoreResult result, const Status& st) {
          std::lock_guard lock(mu);
          ++answered;
          if (result == transfer::RestoreResult::kFailed) failures.emplace_back(key, st);
          if (draw && (answered % 100 == 0 || answered == keys->size())) {
            std::fprintf(stderr, "\rrestore: %zu/%zu requested", answered, keys->size());
          }
        });
    if (draw && !keys->empty()) std::fputc('\n', stderr);
  }
  for (const auto& [key, st] : failures) {
    std::fprintf(stderr, "ferry restore: s3://%s/%s: %s\n", loc->bucket.c_str(), key.c_str(),
                 Describe(st).c_str());
  }
  Status waited;
  bool all_readable = false;
  if (o.wait && !o.dry_run && failures.empty() && !interruption.requested()) {
    std::vector<std::string> names;
    for (const auto& t : *keys) names.push_back(t.key);
    waited = transfer::WaitReadable(
        **store, loc->bucket, names, settings, timeout_ns,
        [&](size_t ready, size_t total) {
          if (draw) std::fprintf(stderr, "\rrestore: %zu/%zu readable", ready, total);
        },
        [&] { return interruption.requested(); });
    if (draw) std::fputc('\n', stderr);
    all_readable = waited.ok();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (o.json) {
    nlohmann::json j = {{"archived", keys->size()},
                        {"requested", tally.requested},
                        {"already_restored", tally.already_restored},
                        {"in_progress", tally.in_progress},
                        {"not_archived", not_archived + tally.not_archived},
                        {"failed", tally.failed},
                        {"seconds", seconds}};
    if (o.wait) j["readable"] = all_readable;
    std::printf("%s\n", j.dump().c_str());
  } else if (!o.quiet) {
    std::fprintf(stderr,
                 "restore: %s: %llu requested, %llu already restored, %llu under way, %llu "
                 "failed; %llu not archived (skipped); %.1f s%s\n",
                 Counted(keys->size(), "archived object", "archived objects").c_str(),
                 static_cast<unsigned long long>(tally.requested),
                 static_cast<unsigned long long>(tally.already_restored),
                 static_cast<unsigned long long>(tally.in_progress),
                 static_cast<unsigned long long>(tally.failed),
                 static_cast<unsigned long long>(not_archived + tally.not_archived), seconds,
                 all_readable ? "; all readable now" : "");
  }
  if (interruption.requested()) return interruption.exit_code();
  if (!waited.ok()) return Fail("restore", waited);
  return tally.failed > 0 ? kExitFailed : kExitOk;
}

}  // namespace

CommandRunner AddRestoreCommand(CLI::App& app) {
  auto o = std::make_shared<RestoreOptions>();
  CLI::App* cmd = app.add_subcommand(
      "restore", "Restore archived (GLACIER, DEEP_ARCHIVE) objects under a prefix, or one object");
  cmd->add_option("URL", o->url, "s3://bucket/prefix or s3://bucket/key")->required();
  cmd->add_option("--tier", o->tier, "expedited, standard or bulk")->capture_default_str();
  cmd->add_option("--days", o->days, "Days the restored copies stay readable")
      ->check(CLI::Range(1, 36500))
      ->capture_default_str();
  cmd->add_flag("--wait", o->wait, "Wait until every object can be read");
  cmd->add_option("--wait-timeout", o->wait_timeout, "Give up waiting after this long (10m, 2h)");
  cmd->add_option("--parallel", o->parallel, "Restore requests in flight")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_flag("--dryrun,--dry-run", o->dry_run, "List what would be restored");
  cmd->add_flag("--json", o->json, "Print the summary as JSON on stdout");
  cmd->add_flag("--quiet,-q", o->quiet, "Print nothing but errors");
  AddFilterFlags(*cmd, o->filters);
  AddClientFlags(*cmd, o->client);
  return [o] { return RunRestore(*o); };
}

}  // namespace ferry::cli
