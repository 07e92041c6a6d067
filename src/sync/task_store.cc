#include "sync/task_store.h"

#include <filesystem>
#include <nlohmann/json.hpp>

namespace ferry::sync {
namespace {

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode = WAL;
PRAGMA busy_timeout = 10000;
CREATE TABLE IF NOT EXISTS tasks(
  name TEXT PRIMARY KEY, source TEXT NOT NULL, destination TEXT NOT NULL, args TEXT NOT NULL,
  schedule TEXT NOT NULL, enabled INTEGER NOT NULL, created INTEGER NOT NULL,
  consecutive_failures INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',
  disabled_reason TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS executions(
  id INTEGER PRIMARY KEY AUTOINCREMENT, task TEXT NOT NULL, started INTEGER NOT NULL,
  finished INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL,
  preparing REAL NOT NULL DEFAULT 0, transferring REAL NOT NULL DEFAULT 0,
  verifying REAL NOT NULL DEFAULT 0, transferred INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0, verified INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '', report TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS executions_by_task ON executions(task, id);
)sql";

constexpr const char* kTaskColumns =
    "name, source, destination, args, schedule, enabled, created, consecutive_failures, "
    "last_error, disabled_reason";

TaskInfo TaskFromRow(const sqlite::Stmt& s) {
  TaskInfo t;
  t.name = s.Text(0);
  t.source = s.Text(1);
  t.destination = s.Text(2);
  auto args = nlohmann::json::parse(s.Text(3), nullptr, false);
  if (args.is_array()) {
    for (const auto& a : args) {
      if (a.is_string()) t.args.push_back(a.get<std::string>());
    }
  }
  t.schedule = s.Text(4);
  t.enabled = s.Int(5) != 0;
  t.created_s = s.Int(6);
  t.consecutive_failures = static_cast<int>(s.Int(7));
  t.last_error = s.Text(8);
  t.disabled_reason = s.Text(9);
  return t;
}

}  // namespace

Result<std::unique_ptr<TaskStore>> TaskStore::Open(const std::string& state_dir) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) return Status::IOError(state_dir + ": " + ec.message());
  FERRY_ASSIGN_OR_RETURN(auto db, sqlite::Db::Open(state_dir + "/tasks.db", true));
  FERRY_RETURN_IF_ERROR(db->Exec(kSchema));
  return std::unique_ptr<TaskStore>(new TaskStore(std::move(db), state_dir));
}

Status TaskStore::Create(const TaskInfo& task) {
  std::lock_guard lock(mu_);
  nlohmann::json args = task.args;
  std::string args_text = args.dump();
  FERRY_ASSIGN_OR_RETURN(auto exists, db_->Prepare("SELECT 1 FROM tasks WHERE name = ?"));
  exists.BindText(1, task.name);
  FERRY_ASSIGN_OR_RETURN(bool found, exists.Step());
  if (found) return Status::AlreadyExists("task " + task.name + " already exists");
  FERRY_ASSIGN_OR_RETURN(
      auto insert,
      db_->Prepare("INSERT INTO tasks(name, source, destination, args, schedule, enabled, "
                   "created) VALUES (?,?,?,?,?,?,?)"));
  insert.BindText(1, task.name).BindText(2, task.source).BindText(3, task.destination);
  insert.BindText(4, args_text).BindText(5, task.schedule).Bind(6, task.enabled ? 1 : 0);
  insert.Bind(7, task.created_s);
  return insert.Run();
}

Result<TaskInfo> TaskStore::Get(const std::string& name) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(
      auto s, db_->Prepare(std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE name = ?"));
  s.BindText(1, name);
  FERRY_ASSIGN_OR_RETURN(bool found, s.Step());
  if (!found) return Status::NotFound("no task named " + name);
  return TaskFromRow(s);
}

Result<std::vector<TaskInfo>> TaskStore::List() {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(
      auto s, db_->Prepare(std::string("SELECT ") + kTaskColumns + " FROM tasks ORDER BY name"));
  std::vector<TaskInfo> out;
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(TaskFromRow(s));
  }
  return out;
}

Status TaskStore::Delete(const std::string& name) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto s, db_->Prepare("DELETE FROM tasks WHERE name = ?"));
  s.BindText(1, name);
  FERRY_RETURN_IF_ERROR(s.Run());
  if (sqlite3_changes(db_->raw()) == 0) return Status::NotFound("no task named " + name);
  FERRY_ASSIGN_OR_RETURN(auto h, db_->Prepare("DELETE FROM executions WHERE task = ?"));
  h.BindText(1, name);
  return h.Run();
}

Status TaskStore::SetEnabled(const std::string& name, bool enabled) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto s,
                         db_->Prepare("UPDATE tasks SET enabled = ?, consecutive_failures = 0, "
                                      "disabled_reason = '' WHERE name = ?"));
  s.Bind(1, enabled ? 1 : 0).BindText(2, name);
  FERRY_RETURN_IF_ERROR(s.Run());
  if (sqlite3_changes(db_->raw()) == 0) return Status::NotFound("no task named " + name);
  return Status::OK();
}

Result<ExecutionRecord> TaskStore::StartExecution(const std::string& task, int64_t started_s) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(
      auto s,
      db_->Prepare("INSERT INTO executions(task, started, status) VALUES (?, ?, 'RUNNING')"));
  s.BindText(1, task).Bind(2, started_s);
  FERRY_RETURN_IF_ERROR(s.Run());
  ExecutionRecord r;
  r.id = sqlite3_last_insert_rowid(db_->raw());
  r.task = task;
  r.started_s = started_s;
  r.status = "RUNNING";
  r.report = dir_ + "/reports/" + task + "-" + std::to_string(r.id) + ".json";
  FERRY_ASSIGN_OR_RETURN(auto u, db_->Prepare("UPDATE executions SET report = ? WHERE id = ?"));
  u.BindText(1, r.report).Bind(2, r.id);
  FERRY_RETURN_IF_ERROR(u.Run());
  std::error_code ec;
  std::filesystem::create_directories(dir_ + "/reports", ec);
  return r;
}

Status TaskStore::FinishExecution(const ExecutionRecord& r) {
  std::lock_guard lock(mu_);
  FERRY_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    FERRY_ASSIGN_OR_RETURN(
        auto s, db_->Prepare("UPDATE executions SET finished = ?, status = ?, preparing = ?, "
                             "transferring = ?, verifying = ?, transferred = ?, bytes = ?, "
                             "updated = ?, skipped = ?, deleted = ?, failed = ?, verified = ?, "
                             "error = ? WHERE id = ?"));
    s.Bind(1, r.finished_s).BindText(2, r.status);
    s.Bind(3, static_cast<int64_t>(r.preparing_s * 1000))
        .Bind(4, static_cast<int64_t>(r.transferring_s * 1000))
        .Bind(5, static_cast<int64_t>(r.verifying_s * 1000));
    s.Bind(6, static_cast<int64_t>(r.transferred)).Bind(7, static_cast<int64_t>(r.bytes));
    s.Bind(8, static_cast<int64_t>(r.updated)).Bind(9, static_cast<int64_t>(r.skipped));
    s.Bind(10, static_cast<int64_t>(r.deleted)).Bind(11, static_cast<int64_t>(r.failed));
    s.Bind(12, static_cast<int64_t>(r.verified)).BindText(13, r.error).Bind(14, r.id);
    FERRY_RETURN_IF_ERROR(s.Run());
    FERRY_ASSIGN_OR_RETURN(
        auto t, db_->Prepare("SELECT consecutive_failures, last_error FROM tasks WHERE name = ?"));
    t.BindText(1, r.task);
    FERRY_ASSIGN_OR_RETURN(bool found, t.Step());
    if (!found) return Status::OK();  // deleted meanwhile
    int streak = static_cast<int>(t.Int(0));
    std::string last_error(t.Text(1));
    t.Reset();
    if (r.status == "SUCCESS") {
      streak = 0;
    } else {
      streak = (streak > 0 && last_error == r.error) ? streak + 1 : 1;
    }
    bool disable = streak >= kFailuresBeforeDisable;
    FERRY_ASSIGN_OR_RETURN(
        auto u, db_->Prepare("UPDATE tasks SET consecutive_failures = ?, last_error = ?, "
                             "enabled = CASE WHEN ? THEN 0 ELSE enabled END, "
                             "disabled_reason = CASE WHEN ? THEN ? ELSE disabled_reason END "
                             "WHERE name = ?"));
    std::string reason =
        "disabled after " + std::to_string(streak) + " executions in a row failed with: " + r.error;
    const std::string error = r.status == "SUCCESS" ? "" : r.error;  // outlives the step
    u.Bind(1, streak).BindText(2, error);
    u.Bind(3, disable ? 1 : 0).Bind(4, disable ? 1 : 0).BindText(5, reason).BindText(6, r.task);
    return u.Run();
  };
  Status st = body();
  FERRY_RETURN_IF_ERROR(db_->Exec(st.ok() ? "COMMIT" : "ROLLBACK"));
  return st;
}

Result<std::vector<ExecutionRecord>> TaskStore::History(const std::string& task, int limit) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(
      auto s, db_->Prepare("SELECT id, task, started, finished, status, preparing, transferring, "
                           "verifying, transferred, bytes, updated, skipped, deleted, failed, "
                           "verified, error, report FROM executions WHERE task = ? "
                           "ORDER BY id DESC LIMIT ?"));
  s.BindText(1, task).Bind(2, limit);
  std::vector<ExecutionRecord> out;
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ExecutionRecord r;
    r.id = s.Int(0);
    r.task = s.Text(1);
    r.started_s = s.Int(2);
    r.finished_s = s.Int(3);
    r.status = s.Text(4);
    r.preparing_s = static_cast<double>(s.Int(5)) / 1000;
    r.transferring_s = static_cast<double>(s.Int(6)) / 1000;
    r.verifying_s = static_cast<double>(s.Int(7)) / 1000;
    r.transferred = static_cast<uint64_t>(s.Int(8));
    r.bytes = static_cast<uint64_t>(s.Int(9));
    r.updated = static_cast<uint64_t>(s.Int(10));
    r.skipped = static_cast<uint64_t>(s.Int(11));
    r.deleted = static_cast<uint64_t>(s.Int(12));
    r.failed = static_cast<uint64_t>(s.Int(13));
    r.verified = static_cast<uint64_t>(s.Int(14));
    r.error = s.Text(15);
    r.report = s.Text(16);
    out.push_back(std::move(r));
  }
  return out;
}

Result<int64_t> TaskStore::LastStart(const std::string& task) {
  std::lock_guard lock(mu_);
  FERRY_ASSIGN_OR_RETURN(auto s,
                         db_->Prepare("SELECT MAX(started) FROM executions WHERE task = ?"));
  s.BindText(1, task);
  FERRY_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row || s.IsNull(0)) return int64_t{0};
  return s.Int(0);
}

}  // namespace ferry::sync
