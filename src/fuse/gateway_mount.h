// The libfuse3 adapter of `ferry gateway`: FUSE low-level requests translated onto a
// gateway::Gateway (a writable tree), with FUSE export support so that an NFS server can
// turn its file handles back into files (lookups of "." and ".." for any inode, the
// gateway's generation in every entry). Policy lives in gateway/.
#pragma once

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
};

class GatewayMount {
 public:
  // The gateway must outlive the mount.
  GatewayMount(gateway::Gateway& gateway, GatewayMountOptions options);
  ~GatewayMount();  // unmounts if still mounted
  GatewayMount(const GatewayMount&) = delete;
  GatewayMount& operator=(const GatewayMount&) = delete;

  Status Mount();
  // Serves requests until unmounted (fusermount3 -u) or SIGINT/SIGTERM/SIGHUP, then unmounts.
  Status Run();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::fuse
