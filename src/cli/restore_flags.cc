#include "cli/restore_flags.h"

#include "s3/restore.h"

namespace ferry::cli {

void AddRestoreFlags(CLI::App& cmd, RestoreFlags& flags) {
  cmd.add_flag("--restore", flags.restore,
               "Restore archived (GLACIER, DEEP_ARCHIVE) sources first, wait, then copy them "
               "(default: name them in one error and copy none of them)");
  cmd.add_option("--tier", flags.tier, "Restore tier with --restore: expedited, standard, bulk")
      ->capture_default_str();
  cmd.add_option("--restore-days", flags.days, "Days the restored copies stay, with --restore")
      ->check(CLI::Range(1, 36500))
      ->capture_default_str();
}

Result<std::string> RestoreTier(const std::string& word) {
  std::string tier = s3::RestoreTierName(word);
  if (tier.empty()) {
    return Status::InvalidArgument("--tier " + word + ": expedited, standard or bulk");
  }
  return tier;
}

Result<std::optional<transfer::RestoreSettings>> RestoreSettingsOf(const RestoreFlags& flags) {
  FERRY_ASSIGN_OR_RETURN(std::string tier, RestoreTier(flags.tier));
  if (!flags.restore) return std::optional<transfer::RestoreSettings>();
  transfer::RestoreSettings settings;
  settings.tier = tier;
  settings.days = flags.days;
  return std::optional<transfer::RestoreSettings>(settings);
}

}  // namespace ferry::cli
