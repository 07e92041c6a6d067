// The common driver of commands that move data (cp, and later sync): opens the store with
// the client flags, runs an engine with the transfer flags, lets `plan` submit the jobs,
// draws progress on a terminal and prints the summary. Returns the exit code.
#pragma once

#include <functional>
#include <string_view>

#include "cli/client_flags.h"
#include "transfer/engine.h"

namespace ferry::cli {

int RunTransfer(std::string_view command, const ClientFlags& client, const TransferFlags& tf,
                bool preserve_posix,
                const std::function<Status(ObjectStore&, transfer::TransferEngine&,
                                           transfer::Progress&)>& plan);

}  // namespace ferry::cli
