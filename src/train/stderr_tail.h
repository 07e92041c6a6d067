// The training command's stderr, passed on to ferry's own as it comes and its last lines kept
// for the failure reason (as SageMaker's FailureReason quotes the end of the job's log). A
// thread owned by the object copies from a pipe whose write end the command gets as its
// stderr.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "ferry/result.h"

namespace ferry::train {

class StderrTail {
 public:
  // Copies to out_fd and keeps the last keep_bytes.
  static Result<std::unique_ptr<StderrTail>> Start(int out_fd, size_t keep_bytes);
  ~StderrTail();  // Finish, if not called
  StderrTail(const StderrTail&) = delete;
  StderrTail& operator=(const StderrTail&) = delete;

  // The descriptor to give the command as its stderr; the parent's copy is closed by
  // CloseWriteEnd once the command has it.
  int write_fd() const { return write_fd_; }
  void CloseWriteEnd();
  // Copies what is still in the pipe (waiting at most linger for writers that outlive the
  // command, such as its own children), then stops the thread.
  void Finish(std::chrono::milliseconds linger);
  // The last whole lines kept (the cut line's remainder dropped), without a final newline.
  std::string Tail() const;

 private:
  StderrTail(int read_fd, int write_fd, int out_fd, size_t keep_bytes);
  void Copy();

  const int read_fd_;
  int write_fd_;
  const int out_fd_;
  const size_t keep_bytes_;
  std::atomic<int64_t> stop_at_ns_{0};  // steady-clock deadline set by Finish; 0: run on
  mutable std::mutex mu_;
  std::string tail_;
  bool cut_ = false;  // tail_ starts mid-line
  std::thread thread_;
};

}  // namespace ferry::train
