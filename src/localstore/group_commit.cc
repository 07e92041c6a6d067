#include "localstore/group_commit.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <vector>

#include "localstore/fs_util.h"

namespace ferry::local {

Status GroupCommitter::Run(const Mutation& mutation, int sync_fd) {
  Waiter w;
  w.mutation = &mutation;
  w.sync_fd = sync_fd;
  std::unique_lock l(mu_);
  queue_.push_back(&w);
  while (!w.done && queue_.front() != &w) w.cv.wait(l);
  if (w.done) return w.status;

  // Leader: take the queue as it is now; later arrivals form the next batch.
  size_t n = std::min(queue_.size(), static_cast<size_t>(max_batch_));
  std::vector<Waiter*> batch(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
  l.unlock();
  Execute(batch.data(), n);
  l.lock();
  for (size_t i = 0; i < n; ++i) {
    queue_.pop_front();
    batch[i]->done = true;
    if (batch[i] != &w) batch[i]->cv.notify_one();
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();
  return w.status;
}

Status GroupCommitter::RunOne(sqlite::Db& db, const Mutation& m) {
  try {
    return m(db);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("index mutation threw: ") + e.what());
  } catch (...) {
    return Status::Internal("index mutation threw");
  }
}

void GroupCommitter::Execute(Waiter* const* batch, size_t n) {
  sqlite::Db& db = *db_;
  // Data files first: the index must never reference bytes that are not durable.
  std::vector<int> synced;
  for (size_t i = 0; i < n && fsync_; ++i) {
    int fd = batch[i]->sync_fd;
    if (fd < 0 || std::find(synced.begin(), synced.end(), fd) != synced.end()) continue;
    synced.push_back(fd);
    if (::fdatasync(fd) != 0) {
      Status s = IoError("fdatasync pack", errno);
      for (size_t k = 0; k < n; ++k) {
        if (batch[k]->sync_fd == fd) batch[k]->status = s;
      }
    }
  }
  Status begin = db.Exec("BEGIN IMMEDIATE");
  if (!begin.ok()) {
    for (size_t i = 0; i < n; ++i) batch[i]->status = begin;
    return;
  }
  bool any_ok = false;
  for (size_t i = 0; i < n; ++i) {
    Waiter* w = batch[i];
    if (!w->status.ok()) continue;  // its data file could not be synced
    if (n == 1) {
      w->status = RunOne(db, *w->mutation);
    } else {
      // Each mutation in its own savepoint so that a failing one leaves no trace.
      Status s = db.Exec("SAVEPOINT m");
      if (!s.ok()) {
        w->status = s;
        continue;
      }
      s = RunOne(db, *w->mutation);
      Status end = s.ok() ? db.Exec("RELEASE m") : db.Exec("ROLLBACK TO m; RELEASE m");
      if (!end.ok()) {
        // The transaction may hold part of a failed mutation: give it up entirely.
        (void)db.Exec("ROLLBACK");
        for (size_t k = 0; k < n; ++k) batch[k]->status = end;
        return;
      }
      w->status = s;
    }
    any_ok = any_ok || w->status.ok();
  }
  mutations_.fetch_add(n, std::memory_order_relaxed);
  if (!any_ok) {
    (void)db.Exec("ROLLBACK");
    return;
  }
  Status commit = db.Exec("COMMIT");
  commits_.fetch_add(1, std::memory_order_relaxed);
  if (!commit.ok()) {
    (void)db.Exec("ROLLBACK");
    for (size_t i = 0; i < n; ++i) {
      if (batch[i]->status.ok()) batch[i]->status = commit;
    }
  }
}

}  // namespace ferry::local
