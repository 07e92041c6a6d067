// How commands report: one line per failure on stderr ("ferry cp: s3://b/k: NotFound: ..."),
// the exit codes (0 success, 1 the operation failed, 2 usage error), and the transfer summary.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ferry/object_store.h"
#include "ferry/status.h"
#include "transfer/engine.h"

namespace ferry::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// Prints "ferry COMMAND: message" and returns kExitFailed (kExitUsage for InvalidArgument
// raised before any work, when usage is set).
int Fail(std::string_view command, const Status& status, bool usage = false);

// The one-line error text: "s3://b/k: 404 NoSuchKey: The specified key does not exist".
// "1 object", "2 objects".
std::string Counted(uint64_t n, std::string_view one, std::string_view many);
std::string Describe(const Status& status);

// Prints the summary of a transfer (text on stderr unless quiet, or JSON on stdout) and the
// failures, and returns the exit code.
// With interrupted, the summary says so and counts what was left undone; the exit code is
// then the caller's.
int ReportTransfer(std::string_view command, const transfer::TransferSummary& summary,
                   uint64_t retries, bool json, bool quiet, bool interrupted = false);

// An archived object's restore as `stat --json` and `ls --json` show it: {"ongoing": true},
// {"ongoing": false, "expiry": ISO 8601}, or null (none known, or its copy expired).
nlohmann::json RestoreJson(const ObjectHeaders& headers);

// Whether stderr is a terminal (progress lines are drawn only there unless forced).
bool StderrIsTerminal();

}  // namespace ferry::cli
