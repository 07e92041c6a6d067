// The gateway's state on disk (SQLite, WAL): every node of the tree by inode number, the
// journal of bucket operations still owed, the next inode number and the generation every
// file handle carries. A change is one transaction; a durable one (close, fsync) is on stable
// storage when Commit returns, the others survive a crash of the process (the WAL is in the
// operating system's hands) and reach the disk with the next durable commit.
// Thread-compatible: the gateway commits under its own lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ferry/result.h"
#include "gateway/node.h"
#include "sqlite/db.h"

namespace ferry::gateway {

class StateDb {
 public:
  // Creates the database when missing; Corruption for a file of another format.
  static Result<std::unique_ptr<StateDb>> Open(const std::string& path);

  struct Loaded {
    std::vector<Node> nodes;
    std::vector<Op> ops;  // in the order they run
    uint64_t next_ino = 2;
    uint32_t generation = 1;  // chosen when the database was made; never 0
  };
  Result<Loaded> Load();

  struct Batch {
    std::vector<Node> save;
    std::vector<uint64_t> erase;
    std::vector<Op> add_ops;  // ids are given by Commit, in order
    std::vector<int64_t> done_ops;
    uint64_t next_ino = 0;  // saved when not 0
    bool empty() const {
      return save.empty() && erase.empty() && add_ops.empty() && done_ops.empty() && next_ino == 0;
    }
  };
  // Applies the batch atomically; fills in the new ops' ids.
  Status Commit(Batch& batch, bool durable);

 private:
  explicit StateDb(std::unique_ptr<sqlite::Db> db) : db_(std::move(db)) {}
  Status SetSynchronous(bool full);

  std::unique_ptr<sqlite::Db> db_;
  bool synchronous_full_ = false;
};

}  // namespace ferry::gateway
