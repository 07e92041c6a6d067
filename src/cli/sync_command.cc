// `ferry sync SRC DST`: make DST match SRC (local ↔ s3, s3 ↔ s3), incrementally.
#include <memory>

#include "cli/commands.h"
#include "cli/interruption.h"
#include "cli/output.h"
#include "cli/sync_flags.h"

namespace ferry::cli {

CommandRunner AddSyncCommand(CLI::App& app) {
  auto f = std::make_shared<SyncFlags>();
  CLI::App* cmd = app.add_subcommand(
      "sync", "Make DST match SRC: copy what is new or changed (local ↔ s3, s3 ↔ s3)");
  AddSyncOptions(*cmd, *f);
  return [f] {
    Interruption interruption("sync");  // before the store starts threads
    SyncRun run = ExecuteSync(*f, interruption.flag());
    if (!run.result) return Fail("sync", run.error, run.usage);
    const int code = ReportSync(*run.result, *f, run.stats);
    return interruption.requested() ? interruption.exit_code() : code;
  };
}

}  // namespace ferry::cli
