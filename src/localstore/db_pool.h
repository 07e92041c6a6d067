// DbPool: read-only use of a bucket index from many threads. Each Lease is one SQLite
// connection used by one thread at a time; WAL mode lets all of them read while the group
// commit writes. Connections (with their prepared statements) are reused; at most max_idle
// are kept. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ferry/result.h"
#include "sqlite/db.h"

namespace ferry::local {

class DbPool {
 public:
  DbPool(std::string path, size_t max_idle, bool fsync)
      : path_(std::move(path)), max_idle_(max_idle), fsync_(fsync) {}

  class Lease {
   public:
    Lease(DbPool* pool, std::unique_ptr<sqlite::Db> db) : pool_(pool), db_(std::move(db)) {}
    Lease(Lease&&) = default;
    ~Lease();
    sqlite::Db& operator*() const { return *db_; }
    sqlite::Db* operator->() const { return db_.get(); }
    sqlite::Db* get() const { return db_.get(); }

   private:
    DbPool* pool_;
    std::unique_ptr<sqlite::Db> db_;
  };

  Result<Lease> Acquire();

 private:
  void Return(std::unique_ptr<sqlite::Db> db);

  const std::string path_;
  const size_t max_idle_;
  const bool fsync_;
  std::mutex mu_;
  std::vector<std::unique_ptr<sqlite::Db>> idle_;
};

}  // namespace ferry::local
