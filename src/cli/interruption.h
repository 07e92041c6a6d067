// Ctrl-C (SIGINT) and SIGTERM during a transfer command: the first asks the command to stop
// (jobs not started are skipped, requests in flight finish, and the command still prints its
// summary and writes its report); a second ends the process at once. Construct before any
// thread starts: the signals are blocked in every thread and taken by a watcher thread the
// object owns.
#pragma once

#include <atomic>
#include <csignal>
#include <string>
#include <thread>

namespace ferry::cli {

class Interruption {
 public:
  explicit Interruption(std::string command);
  ~Interruption();
  Interruption(const Interruption&) = delete;
  Interruption& operator=(const Interruption&) = delete;

  const std::atomic<bool>* flag() const { return &requested_; }
  bool requested() const { return requested_.load(); }
  // 128 + the signal, as a shell reports a process the signal ended (130 for Ctrl-C).
  int exit_code() const { return 128 + signal_.load(); }

 private:
  void Watch();

  const std::string command_;
  sigset_t signals_;
  sigset_t previous_;
  std::atomic<bool> requested_{false};
  std::atomic<int> signal_{0};
  std::atomic<bool> stop_{false};
  std::thread watcher_;
};

}  // namespace ferry::cli
