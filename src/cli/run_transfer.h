// The common driver of commands that move data (cp, and later sync): opens the store with
// the client flags, runs an engine with the transfer flags, lets `plan` submit the jobs,
// draws progress on a terminal and prints the summary. Returns the exit code.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "cli/client_flags.h"
#include "transfer/engine.h"

namespace ferry::cli {

// The engine options and the shared bandwidth limiter the transfer flags ask for.
struct TransferSetup {
  std::unique_ptr<RateLimiter> limiter;  // null: no --bwlimit
  transfer::TransferOptions options;
};
// InvalidArgument for a bad --bwlimit or --part-size.
Result<TransferSetup> SetUpTransfer(const TransferFlags& tf, bool preserve_posix);

int RunTransfer(std::string_view command, const ClientFlags& client, const TransferFlags& tf,
                bool preserve_posix,
                const std::function<Status(ObjectStore&, transfer::TransferEngine&,
                                           transfer::Progress&)>& plan);

}  // namespace ferry::cli
