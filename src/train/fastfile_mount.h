// Fast File mode for one channel: the channel directory is a read-only `ferry mount` of the
// channel's prefix, run as a child process for the length of the job, so the job starts at
// once and reads objects as it opens them. The job finds the mount's control socket (to send
// its read order for prefetch) in FERRY_PREFETCH_SOCKET.
#pragma once

#include <memory>
#include <string>

#include "core/child_process.h"
#include "train/job_spec.h"

namespace ferry::train {

class FastFileMount {
 public:
  // Mounts channel's source on mountpoint (created if missing) and waits until it is up;
  // with only_paths_file, the mount shows only the paths it lists (this host's shard).
  static Result<std::unique_ptr<FastFileMount>> Start(const TrainSpec& spec,
                                                      const ChannelSpec& channel,
                                                      const std::string& mountpoint,
                                                      const std::string& only_paths_file = "");
  ~FastFileMount();  // unmounts and waits for the mount process
  FastFileMount(const FastFileMount&) = delete;
  FastFileMount& operator=(const FastFileMount&) = delete;

  const std::string& control_socket() const { return control_socket_; }

 private:
  FastFileMount(ChildProcess child, std::string mountpoint, std::string control_socket);

  ChildProcess child_;
  const std::string mountpoint_;
  const std::string control_socket_;
};

}  // namespace ferry::train
