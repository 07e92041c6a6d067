// `ferry cp SRC DST`: copy between local files and buckets, or between buckets.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/filter_flags.h"
#include "cli/output.h"
#include "cli/restore_flags.h"
#include "cli/run_transfer.h"
#include "transfer/copy_plan.h"

namespace ferry::cli {
namespace {

struct CpOptions {
  ClientFlags client;
  TransferFlags transfer;
  std::string src;
  std::string dst;
  bool recursive = false;
  bool dry_run = false;
  bool no_preserve = false;
  std::vector<transfer::FilterFlag> filters;  // --include/--exclude in the order given
  RestoreFlags restore;
};

}  // namespace

CommandRunner AddCpCommand(CLI::App& app) {
  auto o = std::make_shared<CpOptions>();
  CLI::App* cmd = app.add_subcommand(
      "cp", "Copy files to, from or between buckets (local→s3, s3→local, s3→s3)");
  cmd->add_option("SRC", o->src, "Local path or s3://bucket/key")->required();
  cmd->add_option("DST", o->dst, "Local path or s3://bucket/key")->required();
  cmd->add_flag("--recursive,-r", o->recursive, "Copy every file or object under SRC");
  cmd->add_flag("--dryrun,--dry-run", o->dry_run, "Show what would be copied, copy nothing");
  AddFilterFlags(*cmd, o->filters);
  AddRestoreFlags(*cmd, o->restore);
  cmd->add_flag("--no-preserve", o->no_preserve,
                "Neither store nor restore POSIX mode, owner and times");
  AddClientFlags(*cmd, o->client);
  AddVersionAtFlag(*cmd, o->client);
  AddTransferFlags(*cmd, o->transfer);
  return [o] {
    auto src = transfer::ParseLocation(o->src);
    if (!src.ok()) return Fail("cp", src.status(), true);
    auto dst = transfer::ParseLocation(o->dst);
    if (!dst.ok()) return Fail("cp", dst.status(), true);
    if (!src->is_s3 && !dst->is_s3) {
      return Fail("cp", Status::InvalidArgument("one of SRC and DST must be an s3:// URL"), true);
    }
    if (!o->client.version_at.empty() && (!src->is_s3 || dst->is_s3)) {
      return Fail(
          "cp", Status::InvalidArgument("--version-at downloads: s3:// source, local destination"),
          true);
    }
    transfer::CopyPlan plan;
    plan.src = *src;
    plan.dst = *dst;
    plan.recursive = o->recursive;
    auto selects = CopySelection(o->filters);
    if (!selects.ok()) return Fail("cp", selects.status(), true);
    plan.selects = std::move(selects).value();
    auto restore = RestoreSettingsOf(o->restore);
    if (!restore.ok()) return Fail("cp", restore.status(), true);
    plan.restore = *restore;
    plan.restore_progress = [](const std::string& line) {
      std::fprintf(stderr, "ferry cp: %s\n", line.c_str());
    };
    if (o->dry_run) {
      plan.dry_run = [](const std::string& line) { std::printf("(dryrun) %s\n", line.c_str()); };
    }
    return RunTransfer(
        "cp", o->client, o->transfer, !o->no_preserve,
        [&](ObjectStore& store, transfer::TransferEngine& engine, transfer::Progress& progress) {
          return transfer::SubmitCopy(plan, store, engine, progress);
        });
  };
}

}  // namespace ferry::cli
