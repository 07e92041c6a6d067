#include "localstore/db_pool.h"

#include "localstore/bucket_index.h"

namespace ferry::local {

DbPool::Lease::~Lease() {
  if (db_ != nullptr) pool_->Return(std::move(db_));
}

Result<DbPool::Lease> DbPool::Acquire() {
  {
    std::lock_guard l(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<sqlite::Db> db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(db));
    }
  }
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Db> db, sqlite::Db::Open(path_, /*create=*/false));
  FERRY_RETURN_IF_ERROR(index::Configure(*db, /*writer=*/false, fsync_));
  return Lease(this, std::move(db));
}

void DbPool::Return(std::unique_ptr<sqlite::Db> db) {
  // A connection left inside a transaction by an error path must not leak its snapshot.
  if (!sqlite3_get_autocommit(db->raw())) (void)db->Exec("ROLLBACK");
  std::lock_guard l(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(db));
}

}  // namespace ferry::local
