// The ferry subcommands. Each Add*Command registers its flags on the CLI11 app and returns
// the function to run when it is chosen. main.cc is the only place that reads argv.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace ferry::cli {

// Options every command shares.
struct GlobalOptions {
  std::string log_level = "warn";
};

using CommandRunner = std::function<int()>;  // returns the process exit code

CommandRunner AddServeCommand(CLI::App& app, const GlobalOptions& global);
CommandRunner AddLsCommand(CLI::App& app);
CommandRunner AddCpCommand(CLI::App& app);
CommandRunner AddRmCommand(CLI::App& app);
CommandRunner AddRestoreCommand(CLI::App& app);
CommandRunner AddStatCommand(CLI::App& app);
CommandRunner AddMbCommand(CLI::App& app);
CommandRunner AddRbCommand(CLI::App& app);
CommandRunner AddCatCommand(CLI::App& app);
CommandRunner AddSyncCommand(CLI::App& app);
CommandRunner AddTaskCommand(CLI::App& app);
CommandRunner AddAgentCommand(CLI::App& app);
CommandRunner AddMountCommand(CLI::App& app);
CommandRunner AddGatewayCommand(CLI::App& app);
// after_dashes: what followed the first "--" on the command line (the training command, which
// ferry must not parse); owned by the caller, read when the command runs.
CommandRunner AddTrainCommand(CLI::App& app, const std::vector<std::string>* after_dashes);
CommandRunner AddCacheCommand(CLI::App& app);
CommandRunner AddIndexCommand(CLI::App& app);

}  // namespace ferry::cli
