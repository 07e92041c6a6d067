// `ferry sync`'s flags, how a sync runs from them and how its outcome is shown: shared by
// `ferry sync`, `ferry task run` and `ferry agent` (which store a task's flags as given).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/client_flags.h"
#include "cli/restore_flags.h"
#include "sync/syncer.h"

namespace ferry::cli {

struct SyncFlags {
  ClientFlags client;
  // A bucket source behind another endpoint or other credentials (--source-endpoint-url,
  // --source-profile, --source-region); unset: the source uses `client` too.
  ClientFlags source_client;
  bool has_source_client = false;
  TransferFlags transfer;
  RestoreFlags restore;
  std::string src;
  std::string dst;
  std::string compare = "changed";
  bool delete_extra = false;
  bool allow_empty_source = false;
  int64_t max_delete = -1;  // -1: no limit
  bool no_overwrite = false;
  bool dry_run = false;
  std::vector<transfer::FilterFlag> filters;  // --include/--exclude in the order given
  std::vector<std::string> exclude_files;
  std::string manifest;
  std::vector<std::string> no_preserve;
  std::string verify = "none";
  std::string report;
  std::string state_dir;
  std::string source_index;  // a listing index of the source, read instead of listing it
};

// SRC, DST and every sync flag.
void AddSyncOptions(CLI::App& cmd, SyncFlags& flags);
// The same from a stored argument list ("SRC DST --flag ..."); InvalidArgument when invalid.
Result<SyncFlags> ParseSyncArgs(const std::vector<std::string>& args);

struct SyncRun {
  std::optional<sync::SyncResult> result;  // set when the sync ran
  Status error;                            // why it did not
  bool usage = false;                      // the error is in the flags
  StoreStats stats;
};
// Runs the sync the flags describe, with a progress line where they allow one.
// With interrupt (Ctrl-C, interruption.h), the sync stops early and still reports.
SyncRun ExecuteSync(const SyncFlags& flags, const std::atomic<bool>* interrupt = nullptr);

// Prints the summary (or JSON) and the failures; returns the exit code.
int ReportSync(const sync::SyncResult& result, const SyncFlags& flags, const StoreStats& stats);

// ~/.cache/ferry (or $XDG_CACHE_HOME/ferry): where sync state and saved tasks live.
std::string DefaultStateDir();

}  // namespace ferry::cli
