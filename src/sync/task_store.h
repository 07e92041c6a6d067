// Saved sync tasks and their executions (`ferry task`, `ferry agent`), in "tasks.db" under
// the state directory. A task is a source, a destination, the sync flags to run it with and
// an optional schedule; every execution is recorded with its status, phase durations, counts
// and report path. Thread-safe; several processes may use the same file (SQLite locking).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ferry/result.h"
#include "sqlite/db.h"

namespace ferry::sync {

struct TaskInfo {
  std::string name;
  std::string source;
  std::string destination;
  std::vector<std::string> args;  // sync flags, as given
  std::string schedule;           // "" when run only by hand
  bool enabled = true;
  int64_t created_s = 0;
  int consecutive_failures = 0;
  std::string last_error;
  std::string disabled_reason;
};

struct ExecutionRecord {
  int64_t id = 0;
  std::string task;
  int64_t started_s = 0;
  int64_t finished_s = 0;  // 0 while running
  std::string status;      // RUNNING, SUCCESS, ERROR
  double preparing_s = 0, transferring_s = 0, verifying_s = 0;
  uint64_t transferred = 0, bytes = 0, updated = 0, skipped = 0, deleted = 0, failed = 0,
           verified = 0;
  std::string error;
  std::string report;
};

class TaskStore {
 public:
  // A task whose executions fail this many times in a row with the same error is disabled.
  static constexpr int kFailuresBeforeDisable = 3;

  static Result<std::unique_ptr<TaskStore>> Open(const std::string& state_dir);

  Status Create(const TaskInfo& task);            // AlreadyExists
  Result<TaskInfo> Get(const std::string& name);  // NotFound
  Result<std::vector<TaskInfo>> List();
  Status Delete(const std::string& name);
  // Re-enabling also forgets the failure streak.
  Status SetEnabled(const std::string& name, bool enabled);

  // A RUNNING record with its id and report path ("DIR/reports/TASK-ID.json").
  Result<ExecutionRecord> StartExecution(const std::string& task, int64_t started_s);
  // Stores the outcome (status SUCCESS or ERROR) and updates the task's failure streak.
  Status FinishExecution(const ExecutionRecord& record);
  // Newest first.
  Result<std::vector<ExecutionRecord>> History(const std::string& task, int limit);
  // When the task's latest execution started; 0 when it never ran.
  Result<int64_t> LastStart(const std::string& task);

  const std::string& dir() const { return dir_; }

 private:
  TaskStore(std::unique_ptr<sqlite::Db> db, std::string dir)
      : db_(std::move(db)), dir_(std::move(dir)) {}

  std::mutex mu_;
  std::unique_ptr<sqlite::Db> db_;  // guarded by mu_
  const std::string dir_;
};

}  // namespace ferry::sync
