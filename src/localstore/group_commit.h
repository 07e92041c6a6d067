// GroupCommitter: serialises a bucket's index mutations and commits many of them with one
// transaction, hence one WAL fsync, using leveldb's writer-queue technique.
//
// Each caller of Run() enqueues its mutation and waits. The caller at the head of the queue
// becomes the leader: it takes every queued mutation (up to max_batch), fdatasyncs the data
// files they wrote to (packs; once per file), runs each mutation inside its own SAVEPOINT of
// one BEGIN IMMEDIATE transaction on the writer connection, commits, and wakes the others
// with their results. A mutation that fails is rolled back to its savepoint
// alone; the others still commit. While a leader commits, newcomers queue up and form the next
// batch, so throughput grows with concurrency instead of being capped at 1/fsync-latency.
//
// Mutations run on the leader's thread with the writer connection; they must not block on
// anything but the database and must not call Run() themselves. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

#include "ferry/status.h"
#include "sqlite/db.h"

namespace ferry::local {

class GroupCommitter {
 public:
  using Mutation = std::function<Status(sqlite::Db& db)>;

  // REQUIRES: db outlives the committer and is used by nothing else.
  GroupCommitter(sqlite::Db* db, int max_batch, bool fsync)
      : db_(db), max_batch_(max_batch), fsync_(fsync) {}

  // Runs mutation in a committed transaction: returns its failed status (nothing of it is
  // kept), or the commit's failed status, or OK once the mutation is durable. When sync_fd is
  // set, that file is fdatasync'ed before the transaction (once per batch and file): data the
  // caller wrote there before Run() is durable before the index can reference it.
  Status Run(const Mutation& mutation, int sync_fd = -1);

  struct Stats {
    uint64_t commits = 0;    // transactions
    uint64_t mutations = 0;  // mutations run
  };
  Stats stats() const { return {commits_.load(), mutations_.load()}; }

 private:
  struct Waiter {
    const Mutation* mutation;
    int sync_fd = -1;
    Status status;
    bool done = false;
    std::condition_variable cv;
  };
  // Runs a batch in one transaction and stores each waiter's status. Called without mu_.
  void Execute(Waiter* const* batch, size_t n);
  static Status RunOne(sqlite::Db& db, const Mutation& m);

  sqlite::Db* db_;
  const int max_batch_;
  const bool fsync_;
  std::mutex mu_;
  std::deque<Waiter*> queue_;
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> mutations_{0};
};

}  // namespace ferry::local
