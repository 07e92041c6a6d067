// ferry: one binary for the whole data-access stack. Exit codes: 0 success, 1 the operation
// failed (one line on stderr says why), 2 usage error.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/usage_hints.h"

namespace {

void SetUpLogging(const std::string& level) {
  // Logs go to stderr so stdout stays clean for data and machine-readable output.
  auto logger = spdlog::stderr_color_mt("ferry");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace

namespace {

// `ferry [--log-level L] train ... -- COMMAND...`: the index of the "--" that ends ferry's own
// arguments, or argc. Only train takes a command line of its own; elsewhere "--" keeps its
// usual meaning (the end of options) and CLI11 handles it.
int TrainCommandStart(int argc, char** argv) {
  int i = 1;
  while (i < argc && std::string_view(argv[i]).starts_with("-")) {
    i += std::string_view(argv[i]) == "--log-level" ? 2 : 1;
  }
  if (i >= argc || std::string_view(argv[i]) != "train") return argc;
  for (int j = i + 1; j < argc; ++j) {
    if (std::string_view(argv[j]) == "--") return j;
  }
  return argc;
}

}  // namespace

int main(int argc, char** argv) {
  // A network tool: a write to a closed connection must fail with EPIPE, not end the process.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"ferry: move and serve ML datasets between file systems and S3 buckets"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ferry 0.1.0");
  ferry::cli::GlobalOptions global;
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();

  std::map<CLI::App*, ferry::cli::CommandRunner> runners;
  auto add = [&](ferry::cli::CommandRunner runner) {
    runners[app.get_subcommands({}).back()] = std::move(runner);
  };
  add(ferry::cli::AddLsCommand(app));
  add(ferry::cli::AddCpCommand(app));
  add(ferry::cli::AddRmCommand(app));
  add(ferry::cli::AddStatCommand(app));
  add(ferry::cli::AddRestoreCommand(app));
  add(ferry::cli::AddCatCommand(app));
  add(ferry::cli::AddSyncCommand(app));
  add(ferry::cli::AddTaskCommand(app));
  add(ferry::cli::AddAgentCommand(app));
  add(ferry::cli::AddMountCommand(app));
  add(ferry::cli::AddGatewayCommand(app));
  add(ferry::cli::AddCacheCommand(app));
  add(ferry::cli::AddIndexCommand(app));
  const int dashes = TrainCommandStart(argc, argv);
  const std::vector<std::string> after_dashes(argv + std::min(dashes + 1, argc), argv + argc);
  argc = dashes;
  add(ferry::cli::AddTrainCommand(app, &after_dashes));
  add(ferry::cli::AddMbCommand(app));
  add(ferry::cli::AddRbCommand(app));
  add(ferry::cli::AddServeCommand(app, global));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      if (auto message = ferry::cli::UnknownArgumentMessage(
              app, std::vector<std::string>(argv + 1, argv + argc))) {
        std::cerr << *message << "\nRun with --help for more information.\n";
        return 2;
      }
    }
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  SetUpLogging(global.log_level);
  for (auto* sub : app.get_subcommands()) {
    auto it = runners.find(sub);
    if (it != runners.end()) return it->second();
  }
  return 2;
}
