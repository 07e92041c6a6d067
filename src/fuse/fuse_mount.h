// The thin libfuse3 adapter of `ferry mount` (read-only): FUSE low-level requests translated
// onto an fs::MountSession (Namespace for names and attributes, ShownFiles for contents), the
// mount, the multi-threaded session loop, the kernel's cache invalidations, and the unmount.
// Policy lives in fs/; errors become errnos there (fs/errno_of.h). The only place that
// includes FUSE headers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ferry/status.h"
#include "fs/mount_session.h"

namespace ferry::fuse {

struct MountOptions {
  std::string mountpoint;
  bool allow_other = false;
  unsigned max_threads = 16;
  double attr_timeout_s = 60;  // how long the kernel may keep names and attributes
  // The kernel's read-ahead on the mount (kernel_read_ahead.h), which sizes its READ
  // requests; 0 leaves the kernel's. Set when running as root.
  uint64_t kernel_read_ahead_bytes = 0;
};

class FuseMount {
 public:
  // The session must outlive the mount.
  FuseMount(fs::MountSession& session, MountOptions options);
  ~FuseMount();  // unmounts if still mounted
  FuseMount(const FuseMount&) = delete;
  FuseMount& operator=(const FuseMount&) = delete;

  // Mounts; the caller may report success once this returns OK. From then on, names the
  // namespace reports as changed (Refresh) are dropped from the kernel's caches.
  Status Mount();
  // Serves requests until unmounted (fusermount3 -u) or SIGINT/SIGTERM/SIGHUP, then
  // unmounts.
  Status Run();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::fuse
