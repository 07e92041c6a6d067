#include "sync/agent.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "sync/schedule.h"

namespace ferry::sync {
namespace {

// The task's lock file, held (flock) for the execution; released when closed.
class TaskLock {
 public:
  static Result<TaskLock> Acquire(const std::string& dir, const std::string& task) {
    std::error_code ec;
    std::filesystem::create_directories(dir + "/locks", ec);
    std::string path = dir + "/locks/" + task + ".lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Status::FromErrno(path, errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return Status::PreconditionFailed("task " + task + " is already running");
    }
    return TaskLock(fd);
  }
  TaskLock(TaskLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  TaskLock& operator=(TaskLock&&) = delete;
  ~TaskLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit TaskLock(int fd) : fd_(fd) {}
  int fd_;
};

std::string ErrorOf(const SyncResult& r) {
  if (r.failed == 0 && r.verify_failed == 0 && !r.deletions_withheld) return "";
  std::string first = r.errors.empty() ? "" : ": " + r.errors.front().status.ToString();
  return std::to_string(r.failed + r.verify_failed) + " entries failed" + first;
}

}  // namespace

Result<ExecutionRecord> RunTaskOnce(TaskStore& store, const std::string& name, const Clock& clock,
                                    const TaskRunner& run) {
  FERRY_ASSIGN_OR_RETURN(TaskInfo task, store.Get(name));
  FERRY_ASSIGN_OR_RETURN(TaskLock lock, TaskLock::Acquire(store.dir(), name));
  FERRY_ASSIGN_OR_RETURN(ExecutionRecord record,
                         store.StartExecution(name, clock.NowNanos() / 1'000'000'000));
  Result<SyncResult> result = run(task, record.report);
  record.finished_s = clock.NowNanos() / 1'000'000'000;
  if (!result.ok()) {
    record.status = "ERROR";
    record.error = result.status().ToString();
  } else {
    const SyncResult& r = *result;
    record.preparing_s = r.phases.preparing;
    record.transferring_s = r.phases.transferring;
    record.verifying_s = r.phases.verifying;
    record.transferred = r.transferred;
    record.bytes = r.bytes;
    record.updated = r.updated;
    record.skipped = r.skipped;
    record.deleted = r.deleted;
    record.failed = r.failed + r.verify_failed;
    record.verified = r.verified;
    record.error = ErrorOf(r);
    record.status = record.error.empty() ? "SUCCESS" : "ERROR";
  }
  FERRY_RETURN_IF_ERROR(store.FinishExecution(record));
  return record;
}

Agent::Agent(TaskStore& store, const Clock& clock, TaskRunner run,
             std::function<void(const std::string&)> log)
    : store_(store), clock_(clock), run_(std::move(run)), log_(std::move(log)) {}

Agent::~Agent() {
  Stop();
  WaitIdle();
}

void Agent::Reap() {
  std::vector<std::thread> done;
  {
    std::lock_guard lock(mu_);
    for (const auto& name : finished_) {
      auto it = running_.find(name);
      if (it == running_.end()) continue;
      done.push_back(std::move(it->second));
      running_.erase(it);
    }
    finished_.clear();
  }
  for (auto& t : done) t.join();
}

std::vector<std::string> Agent::Tick() {
  Reap();
  std::vector<std::string> started;
  auto tasks = store_.List();
  if (!tasks.ok()) {
    log_("cannot read tasks: " + tasks.status().ToString());
    return started;
  }
  const int64_t now_s = clock_.NowNanos() / 1'000'000'000;
  for (const TaskInfo& task : *tasks) {
    if (!task.enabled || task.schedule.empty()) continue;
    {
      std::lock_guard lock(mu_);
      if (stopping_ || running_.contains(task.name)) continue;
    }
    auto schedule = Schedule::Parse(task.schedule);
    if (!schedule.ok()) {
      log_("task " + task.name + ": " + schedule.status().ToString());
      continue;
    }
    auto last = store_.LastStart(task.name);
    if (!last.ok()) continue;
    int64_t next = schedule->NextRun(*last, now_s, task.created_s);
    if (next < 0 || next > now_s) continue;
    std::lock_guard lock(mu_);
    const std::string name = task.name;
    running_.emplace(name, std::thread([this, name] {
                       log_("task " + name + ": starting");
                       auto record = RunTaskOnce(store_, name, clock_, run_);
                       if (!record.ok()) {
                         log_("task " + name + ": " + record.status().ToString());
                       } else {
                         log_("task " + name + ": " + record->status +
                              (record->error.empty() ? "" : " (" + record->error + ")") +
                              ", report " + record->report);
                         auto after = store_.Get(name);
                         if (after.ok() && !after->enabled && !after->disabled_reason.empty()) {
                           log_("task " + name + ": " + after->disabled_reason);
                         }
                       }
                       std::lock_guard done(mu_);
                       finished_.push_back(name);
                       cv_.notify_all();
                     }));
    started.push_back(name);
  }
  return started;
}

void Agent::Run(std::chrono::milliseconds poll) {
  for (;;) {
    Tick();
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, poll, [&] { return stopping_; })) break;
  }
}

void Agent::Stop() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  cv_.notify_all();
}

void Agent::WaitIdle() {
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return finished_.size() == running_.size(); });
  }
  Reap();
}

}  // namespace ferry::sync
