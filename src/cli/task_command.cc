// `ferry task create|run|list|history|enable|disable|delete` and `ferry agent`: saved sync
// tasks, run by hand or on their schedules.
#include <signal.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/sync_flags.h"
#include "s3/http_date.h"
#include "sync/agent.h"
#include "sync/schedule.h"
#include "transfer/progress.h"

namespace ferry::cli {
namespace {

struct TaskFlags {
  std::string task_dir;
  std::string name;
  std::string schedule;
  bool json = false;
  int limit = 20;
  double poll_seconds = 5;
};

void AddTaskDir(CLI::App& cmd, TaskFlags& f) {
  cmd.add_option("--task-dir", f.task_dir,
                 "Where tasks and their history are kept (default ~/.cache/ferry)");
}

Result<std::unique_ptr<sync::TaskStore>> OpenTasks(const TaskFlags& f) {
  std::string dir = f.task_dir.empty() ? DefaultStateDir() : f.task_dir;
  if (dir.empty()) return Status::InvalidArgument("no HOME: give --task-dir");
  return sync::TaskStore::Open(dir);
}

std::string Time(int64_t s) {
  return s > 0 ? s3::FormatIso8601(s * 1'000'000'000) : "-";
}

// The runner behind `task run` and the agent: the stored flags, this execution's report.
sync::TaskRunner Runner(bool quiet) {
  return
      [quiet](const sync::TaskInfo& task, const std::string& report) -> Result<sync::SyncResult> {
        FERRY_ASSIGN_OR_RETURN(SyncFlags flags, ParseSyncArgs(task.args));
        flags.report = report;
        if (quiet) {
          flags.transfer.quiet = true;
          flags.transfer.progress = false;
          flags.transfer.json = false;
        }
        SyncRun run = ExecuteSync(flags);
        if (!run.result) return run.error;
        if (!quiet) ReportSync(*run.result, flags, run.stats);
        return *run.result;
      };
}

int Create(const TaskFlags& f, const std::vector<std::string>& sync_args) {
  auto parsed = ParseSyncArgs(sync_args);
  if (!parsed.ok()) return Fail("task create", parsed.status(), true);
  if (!f.schedule.empty()) {
    auto schedule = sync::Schedule::Parse(f.schedule);
    if (!schedule.ok()) return Fail("task create", schedule.status(), true);
  }
  auto store = OpenTasks(f);
  if (!store.ok()) return Fail("task create", store.status());
  sync::TaskInfo task;
  task.name = f.name;
  task.args = sync_args;
  // The agent may run in another directory: local roots are stored absolute.
  for (std::string* root : {&parsed->src, &parsed->dst}) {
    if (root->starts_with("s3://")) continue;
    std::string absolute = std::filesystem::absolute(*root).lexically_normal().string();
    for (auto& arg : task.args) {
      if (arg == *root) {
        arg = absolute;
        break;
      }
    }
    *root = absolute;
  }
  task.source = parsed->src;
  task.destination = parsed->dst;
  task.schedule = f.schedule;
  task.created_s = std::time(nullptr);
  Status st = (*store)->Create(task);
  if (!st.ok()) return Fail("task create", st);
  std::fprintf(stderr, "task %s: %s → %s%s\n", task.name.c_str(), task.source.c_str(),
               task.destination.c_str(),
               task.schedule.empty() ? "" : (", " + task.schedule).c_str());
  return kExitOk;
}

int Run(const TaskFlags& f) {
  auto store = OpenTasks(f);
  if (!store.ok()) return Fail("task run", store.status());
  auto record = sync::RunTaskOnce(**store, f.name, SystemClock(), Runner(false));
  if (!record.ok()) return Fail("task run", record.status());
  std::fprintf(stderr, "task %s: execution %lld %s; report %s\n", f.name.c_str(),
               static_cast<long long>(record->id), record->status.c_str(), record->report.c_str());
  return record->status == "SUCCESS" ? kExitOk : kExitFailed;
}

int List(const TaskFlags& f) {
  auto store = OpenTasks(f);
  if (!store.ok()) return Fail("task list", store.status());
  auto tasks = (*store)->List();
  if (!tasks.ok()) return Fail("task list", tasks.status());
  const int64_t now = std::time(nullptr);
  for (const auto& t : *tasks) {
    auto last = (*store)->LastStart(t.name);
    int64_t next = 0;
    if (t.enabled && !t.schedule.empty()) {
      if (auto s = sync::Schedule::Parse(t.schedule); s.ok()) {
        next = s->NextRun(last.ok() ? *last : 0, now, t.created_s);
      }
    }
    auto history = (*store)->History(t.name, 1);
    std::string last_status =
        history.ok() && !history->empty() ? (*history)[0].status : std::string("never run");
    if (f.json) {
      nlohmann::json j = {{"name", t.name},
                          {"source", t.source},
                          {"destination", t.destination},
                          {"args", t.args},
                          {"schedule", t.schedule},
                          {"enabled", t.enabled},
                          {"last_status", last_status},
                          {"next_run", next > 0 ? Time(next) : ""},
                          {"disabled_reason", t.disabled_reason}};
      std::printf("%s\n", j.dump().c_str());
      continue;
    }
    std::printf("%-20s %-9s %-10s next %-20s %s → %s%s%s\n", t.name.c_str(),
                t.enabled ? "enabled" : "disabled", last_status.c_str(),
                next > 0 ? Time(next).c_str() : "-", t.source.c_str(), t.destination.c_str(),
                t.schedule.empty() ? "" : ("  " + t.schedule).c_str(),
                t.disabled_reason.empty() ? "" : ("  (" + t.disabled_reason + ")").c_str());
  }
  return kExitOk;
}

int History(const TaskFlags& f) {
  auto store = OpenTasks(f);
  if (!store.ok()) return Fail("task history", store.status());
  auto task = (*store)->Get(f.name);
  if (!task.ok()) return Fail("task history", task.status());
  auto history = (*store)->History(f.name, f.limit);
  if (!history.ok()) return Fail("task history", history.status());
  for (const auto& r : *history) {
    if (f.json) {
      nlohmann::json j = {{"id", r.id},
                          {"started", Time(r.started_s)},
                          {"finished", Time(r.finished_s)},
                          {"status", r.status},
                          {"phases",
                           {{"preparing_seconds", r.preparing_s},
                            {"transferring_seconds", r.transferring_s},
                            {"verifying_seconds", r.verifying_s}}},
                          {"transferred", r.transferred},
                          {"bytes", r.bytes},
                          {"updated", r.updated},
                          {"skipped", r.skipped},
                          {"deleted", r.deleted},
                          {"failed", r.failed},
                          {"verified", r.verified},
                          {"error", r.error},
                          {"report", r.report}};
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      continue;
    }
    std::printf(
        "%5lld %s %-8s preparing %s transferring %s verifying %s  %llu transferred (%s), "
        "%llu unchanged, %llu deleted, %llu failed  %s%s\n",
        static_cast<long long>(r.id), Time(r.started_s).c_str(), r.status.c_str(),
        transfer::FormatDuration(r.preparing_s).c_str(),
        transfer::FormatDuration(r.transferring_s).c_str(),
        transfer::FormatDuration(r.verifying_s).c_str(),
        static_cast<unsigned long long>(r.transferred), transfer::FormatBytes(r.bytes).c_str(),
        static_cast<unsigned long long>(r.skipped), static_cast<unsigned long long>(r.deleted),
        static_cast<unsigned long long>(r.failed), r.report.c_str(),
        r.error.empty() ? "" : ("\n      " + r.error).c_str());
  }
  return kExitOk;
}

int Agent(const TaskFlags& f) {
  auto store = OpenTasks(f);
  if (!store.ok()) return Fail("agent", store.status());
  // Signals are taken by one thread that stops the agent; executions finish first.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto log = [](const std::string& line) {
    std::fprintf(stderr, "%s ferry agent: %s\n",
                 s3::FormatIso8601(SystemClock().NowNanos()).c_str(), line.c_str());
  };
  sync::Agent agent(**store, SystemClock(), Runner(true), log);
  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    log(std::string("stopping on ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
        "; running executions finish first");
    agent.Stop();
  });
  log("watching the tasks in " + (*store)->dir());
  agent.Run(std::chrono::milliseconds(static_cast<int64_t>(f.poll_seconds * 1000)));
  agent.WaitIdle();
  signals.join();
  log("stopped");
  return kExitOk;
}

}  // namespace

CommandRunner AddTaskCommand(CLI::App& app) {
  auto f = std::make_shared<TaskFlags>();
  CLI::App* task = app.add_subcommand("task", "Saved sync tasks: create, run, list, history");
  task->require_subcommand(1);
  CLI::App* create = task->add_subcommand(
      "create", "Save a sync task: NAME SRC DST [sync flags] [--schedule EXPR]");
  create->add_option("NAME", f->name, "Task name")->required();
  create->add_option("--schedule", f->schedule,
                     "\"rate(1 hour)\" or \"cron(0 2 * * ? *)\" (UTC), run by `ferry agent`");
  AddTaskDir(*create, *f);
  create->allow_extras();
  CLI::App* run = task->add_subcommand("run", "Run a task now");
  CLI::App* history = task->add_subcommand("history", "A task's executions, newest first");
  CLI::App* del = task->add_subcommand("delete", "Forget a task and its history");
  CLI::App* enable = task->add_subcommand("enable", "Enable a task (and forget its failures)");
  CLI::App* disable = task->add_subcommand("disable", "Stop running a task on its schedule");
  for (CLI::App* c : {run, history, del, enable, disable}) {
    c->add_option("NAME", f->name, "Task name")->required();
    AddTaskDir(*c, *f);
  }
  history->add_option("--limit", f->limit, "Executions to show (default 20)");
  history->add_flag("--json", f->json, "One JSON object per execution");
  CLI::App* list = task->add_subcommand("list", "Saved tasks, their state and next run");
  list->add_flag("--json", f->json, "One JSON object per task");
  AddTaskDir(*list, *f);
  return [f, create, run, history, del, enable, list] {
    if (create->parsed()) return Create(*f, create->remaining());
    if (run->parsed()) return Run(*f);
    if (history->parsed()) return History(*f);
    if (list->parsed()) return List(*f);
    auto store = OpenTasks(*f);
    if (!store.ok()) return Fail("task", store.status());
    Status st = del->parsed()      ? (*store)->Delete(f->name)
                : enable->parsed() ? (*store)->SetEnabled(f->name, true)
                                   : (*store)->SetEnabled(f->name, false);
    if (!st.ok()) return Fail("task", st);
    return kExitOk;
  };
}

CommandRunner AddAgentCommand(CLI::App& app) {
  auto f = std::make_shared<TaskFlags>();
  CLI::App* cmd = app.add_subcommand(
      "agent",
      "Run saved tasks on their schedules, in the foreground (one execution per task "
      "at a time)");
  AddTaskDir(*cmd, *f);
  cmd->add_option("--poll", f->poll_seconds, "Seconds between schedule checks (default 5)");
  return [f] { return Agent(*f); };
}

}  // namespace ferry::cli
