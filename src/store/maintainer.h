// Checkpointer: one background thread that copies bucket WALs into their databases
// (PASSIVE checkpoints), so that no PUT ever waits for a checkpoint inside a commit.
//
// A bucket's writer connection reports its WAL size after each commit (sqlite3_wal_hook);
// past a threshold the bucket asks for a checkpoint here. Requests hold weak pointers, so a
// closed bucket is simply skipped. Thread-safe; the destructor stops and joins the thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace ferry::local {

class CheckpointTarget {
 public:
  virtual ~CheckpointTarget() = default;
  virtual void RunCheckpoint() = 0;
};

class Checkpointer {
 public:
  Checkpointer();
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  void Request(std::weak_ptr<CheckpointTarget> target);

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::weak_ptr<CheckpointTarget>> queue_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ferry::local
