// The thin libfuse3 adapter of `ferry mount` (read-only): FUSE low-level callbacks onto the
// fs/ layer (Namespace for names and attributes, BlockReader + ReadAhead for contents),
// the mount, the multi-threaded session loop, and the unmount. The only place that includes
// FUSE headers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/thread_pool.h"
#include "ferry/status.h"
#include "fs/block_reader.h"
#include "fs/namespace.h"

namespace ferry::fuse {

struct MountOptions {
  std::string mountpoint;
  bool allow_other = false;
  uint64_t read_ahead_blocks = 8;
  uint64_t read_ahead_run_blocks = 1;  // blocks fetched by one read-ahead GET
  unsigned max_threads = 16;
  double attr_timeout_s = 60;  // how long the kernel may keep names and attributes
  // The kernel's read-ahead on the mount (kernel_read_ahead.h), which sizes its READ
  // requests; 0 leaves the kernel's. Set when running as root.
  uint64_t kernel_read_ahead_bytes = 0;
  // Pages a sequential reader left this far behind go from the kernel's page cache (the
  // bytes stay in the disk cache; fs/drop_behind.h says why); 0 keeps them all.
  uint64_t drop_behind_bytes = 0;
  // Called when a file's reading begins, at a read from offset 0 (the ordered prefetch
  // follows the reader with it). Files are not opened through the mount: the kernel opens
  // them without asking.
  std::function<void(const fs::ObjectVersion&)> on_open;
};

class FuseMount {
 public:
  FuseMount(fs::Namespace& names, fs::BlockReader& reader, ThreadPool& read_ahead_pool,
            MountOptions options);
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
