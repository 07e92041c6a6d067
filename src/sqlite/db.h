// A thin RAII layer over SQLite: Db owns one connection and caches its prepared statements;
// Stmt is a borrowed statement that is reset when it goes out of scope. Errors come back as
// Status values (S3 InternalError) naming the database file.
//
// Thread-compatible: one thread uses a Db at a time (connections are opened with
// SQLITE_OPEN_NOMUTEX). A cached statement must not be used twice at once: finish with one
// Stmt before preparing the same SQL again on the same Db.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ferry/result.h"
#include "ferry/status.h"

namespace ferry::sqlite {

class Db;

class Stmt {
 public:
  Stmt(Db* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Stmt(Stmt&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Stmt& operator=(Stmt&&) = delete;
  Stmt(const Stmt&) = delete;
  ~Stmt();

  // Parameters are 1-based. Text and blob values are not copied: they must stay valid until
  // the statement has been stepped for the last time.
  Stmt& Bind(int i, int64_t v);
  Stmt& BindText(int i, std::string_view v);
  Stmt& BindBlob(int i, std::string_view v);
  Stmt& BindNull(int i);

  // Advances: true when a row is available, false when done.
  Result<bool> Step();
  // Steps to completion (for statements that return no rows).
  Status Run();
  // Restarts the statement, keeping bindings.
  void Reset();

  // Columns are 0-based and valid until the next Step or Reset.
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string_view Text(int col) const;
  std::string_view Blob(int col) const;

 private:
  Db* db_;
  sqlite3_stmt* stmt_;
};

class Db {
 public:
  // Opens (creating when create is set) the database at path.
  static Result<std::unique_ptr<Db>> Open(const std::string& path, bool create);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements that return no rows.
  Status Exec(const std::string& sql);
  // A cached prepared statement for sql.
  Result<Stmt> Prepare(std::string_view sql);
  // A single integer from a query such as "PRAGMA user_version".
  Result<int64_t> QueryInt(std::string_view sql);

  sqlite3* raw() const { return db_; }
  const std::string& path() const { return path_; }
  // The connection's last error as a Status naming the file and the operation.
  Status Error(std::string_view what) const;

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> stmts_;
};

}  // namespace ferry::sqlite
