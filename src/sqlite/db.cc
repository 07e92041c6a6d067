#include "sqlite/db.h"

#include <fcntl.h>
#include <unistd.h>

namespace ferry::sqlite {

Stmt::~Stmt() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Stmt& Stmt::Bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

Stmt& Stmt::BindText(int i, std::string_view v) {
  sqlite3_bind_text(stmt_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  return *this;
}

Stmt& Stmt::BindBlob(int i, std::string_view v) {
  // A null pointer would bind SQL NULL; an empty blob must still be a blob.
  sqlite3_bind_blob(stmt_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  return *this;
}

Stmt& Stmt::BindNull(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error("step");
}

Status Stmt::Run() {
  for (;;) {
    auto row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::OK();
  }
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
}

std::string_view Stmt::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string_view() : std::string_view(p, static_cast<size_t>(n));
}

std::string_view Stmt::Blob(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string_view() : std::string_view(p, static_cast<size_t>(n));
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, bool create) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  if (create) {
    // Made here, the owner's alone: SQLite would create it by the umask (often world
    // readable), and gives its -wal and -shm files the database file's mode.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
  }
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<Db> db(new Db(raw, path));
  if (rc != SQLITE_OK) return db->Error("open");
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Db::~Db() {
  for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status Db::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Status s = Error(sql);
    sqlite3_free(err);
    return s;
  }
  return Status::OK();
}

Result<Stmt> Db::Prepare(std::string_view sql) {
  auto it = stmts_.find(std::string(sql));
  if (it != stmts_.end()) return Stmt(this, it->second);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return Error(sql);
  }
  stmts_.emplace(std::string(sql), stmt);
  return Stmt(this, stmt);
}

Result<int64_t> Db::QueryInt(std::string_view sql) {
  FERRY_ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
  FERRY_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Error(sql).Annotate("no row");
  return stmt.Int(0);
}

Status Db::Error(std::string_view what) const {
  std::string msg = path_;
  msg += ": ";
  msg += what;
  msg += ": ";
  msg += db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
  if (db_ != nullptr && (sqlite3_extended_errcode(db_) & 0xff) == SQLITE_FULL) {
    return Status::NoSpace(msg);
  }
  return Status::IOError(msg).WithS3Code("InternalError", 500);
}

}  // namespace ferry::sqlite
