// The libfuse3 adapter of `ferry gateway`: FUSE low-level requests translated onto a
// gateway::Gateway (a writable tree), with FUSE export support so that an NFS server can
// turn its file handles back into files (lookups of "." and ".." for any inode, the
// gateway's generation in every entry). Policy lives in gateway/.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "ferry/status.h"
#include "gateway/gateway.h"

namespace ferry::fuse {

struct GatewayMountOptions {
  std::string mountpoint;
  bool allow_other = false;
  unsigned max_threads = 16;
  double attr_timeout_s = 1;  // the kernel re-asks after this (bucket changes, refresh)
  bool stop_on_signals = true;
};

class GatewayMount {
 public:
  // The gateway must outlive the mount.
  GatewayMount(gateway::Gateway& gateway, GatewayMountOptions options);
  ~GatewayMount();  // unmounts if still mounted
  GatewayMount(const GatewayMount&) = delete;
  GatewayMount& operator=(const GatewayMount&) = delete;

  Status Mount();
  // Serves requests until the kernel ends the session (an unmount, or Unmount). With
  // stop_on_signals, SIGINT, SIGTERM and SIGHUP end it too (libfuse's handlers); without, the
  // caller waits for them itself and calls Unmount, so that the session goes on serving until
  // the file servers exporting the mount have closed their files.
  Status Run();
  // True once the kernel ended the session.
  bool unmounted() const;
  // Detaches the mount; the session ends once nothing holds a file in it any more, or after
  // timeout, when the connection is aborted (as root). Call while Run serves, from another
  // thread.
  void Unmount(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::fuse
