// A child process ferry starts and ends: spawned with its own environment (and, if asked, in
// its own process group so a terminal's Ctrl-C reaches only ferry), waited for, signalled.
// The destructor kills and reaps a child still running, and a death signal reaches the child
// when ferry itself is killed (kill -9 included): no process outlives its owner.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ferry/result.h"

namespace ferry {

class ChildProcess {
 public:
  struct Options {
    std::map<std::string, std::string> environment;  // the whole environment
    bool own_process_group = false;
    // Sent to the child when the spawning thread ends, however it ends (PR_SET_PDEATHSIG);
    // 0: none. Spawn from a thread that lives as long as the child is wanted.
    int death_signal = 0;
    int stdout_fd = -1;  // the child's stdout and stderr: these descriptors, or ferry's own
    int stderr_fd = -1;
  };
  static Result<ChildProcess> Spawn(const std::vector<std::string>& argv, const Options& options);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // The wait status once the child has ended (waits at most timeout), else nullopt.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // To the child, or with its own process group to the whole group (its children too).
  void Signal(int sig);
  // SIGTERM, then SIGKILL if it has not ended after grace; returns its wait status.
  int Stop(std::chrono::milliseconds grace);

 private:
  ChildProcess(pid_t pid, bool group) : pid_(pid), group_(group) {}
  pid_t pid_ = -1;
  bool group_ = false;
  std::optional<int> status_;
};

// The environment of this process as a map.
std::map<std::string, std::string> CurrentEnvironment();

// "exit status 3", "killed by signal 9 (Killed)".
std::string DescribeWaitStatus(int status);
// The exit code a shell would give: the exit status, or 128 + the signal.
int ExitCodeOf(int status);

}  // namespace ferry
