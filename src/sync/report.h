// The task report (`--report FILE`): totals per phase and, per path, what happened. Path
// records are streamed to a scratch file beside the report as they happen (a million-file
// run does not hold them in memory) and assembled into one JSON document by Finish.
// Thread-safe.
#pragma once

#include <cstdint>
#include <fstream>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "ferry/status.h"

namespace ferry::sync {

class TaskReport {
 public:
  // An empty path: counts only, no file.
  explicit TaskReport(std::string path);
  ~TaskReport();

  // status: "transferred", "skipped", "deleted", "verified", "failed", "updated",
  // "would transfer" (dry run)...; detail: the reason or the error.
  void Record(const std::string& path, const char* status, const std::string& detail,
              uint64_t bytes = 0);

  // Writes {"summary": summary, "entries": [...]} to the report path.
  Status Finish(const nlohmann::json& summary);

 private:
  const std::string path_;
  std::mutex mu_;
  std::ofstream scratch_;  // guarded by mu_: one JSON object per line
};

}  // namespace ferry::sync
