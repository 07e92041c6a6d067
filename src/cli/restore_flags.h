// --restore, --tier and --restore-days of the commands that read objects (cp, sync, train):
// what to do with archived sources.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "ferry/result.h"
#include "transfer/restore.h"

namespace ferry::cli {

struct RestoreFlags {
  bool restore = false;
  std::string tier = "standard";
  int days = 1;
};

void AddRestoreFlags(CLI::App& cmd, RestoreFlags& flags);

// The tier named in any case ("bulk", "Bulk"); InvalidArgument for another word.
Result<std::string> RestoreTier(const std::string& word);

// Unset without --restore; InvalidArgument for an unknown tier.
Result<std::optional<transfer::RestoreSettings>> RestoreSettingsOf(const RestoreFlags& flags);

}  // namespace ferry::cli
