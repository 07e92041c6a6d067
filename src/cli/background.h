// Commands that mount something and then serve it (`ferry mount`, `ferry gateway`) return once
// it is mounted, as mount(8) does: the work goes on in a child that leaves the terminal.
#pragma once

#include <functional>

#include "ferry/status.h"

namespace ferry::cli {

// Called by the work once it is ready (OK) or has failed before getting there.
using ReadyReporter = std::function<void(const Status&)>;

// Runs work in a child process that detaches from the terminal once it reports itself ready;
// the parent waits for that report and returns the exit code (0 ready, 1 failed, with the
// reason on stderr after "ferry COMMAND: "). Fork before any thread exists.
int RunInBackground(const char* command, const std::function<Status(const ReadyReporter&)>& work);

}  // namespace ferry::cli
