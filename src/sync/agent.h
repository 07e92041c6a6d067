// Running saved tasks: one execution by hand (`ferry task run`) or on their schedules
// (`ferry agent`). An execution holds the task's lock file for its whole run, so a task never
// runs twice at once, even from two processes; it is recorded in the task store with its
// outcome, and a task failing the same way three times in a row is disabled there.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "sync/syncer.h"
#include "sync/task_store.h"

namespace ferry::sync {

// Runs the sync of a task, writing its report to report_path.
using TaskRunner =
    std::function<Result<SyncResult>(const TaskInfo& task, const std::string& report_path)>;

// One execution of the named task. FailedPrecondition when it is already running.
Result<ExecutionRecord> RunTaskOnce(TaskStore& store, const std::string& name, const Clock& clock,
                                    const TaskRunner& run);

class Agent {
 public:
  // log receives one line per event (execution started, finished, task disabled).
  Agent(TaskStore& store, const Clock& clock, TaskRunner run,
        std::function<void(const std::string&)> log);
  ~Agent();  // stops, then waits for running executions
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Starts every enabled, scheduled task that is due at the clock's time and not running.
  // Returns the names started.
  std::vector<std::string> Tick();
  // Ticks every poll until Stop.
  void Run(std::chrono::milliseconds poll);
  void Stop();
  // Waits for the executions started so far.
  void WaitIdle();

 private:
  void Reap();  // joins finished executions; REQUIRES: mu_ not held

  TaskStore& store_;
  const Clock& clock_;
  const TaskRunner run_;
  const std::function<void(const std::string&)> log_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                       // guarded by mu_
  std::map<std::string, std::thread> running_;  // guarded by mu_
  std::vector<std::string> finished_;           // guarded by mu_: to be joined
};

}  // namespace ferry::sync
