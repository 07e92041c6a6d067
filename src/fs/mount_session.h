// MountSession: a mount's file system without the kernel adapter, assembled from its options:
// the block cache, the reader, the saved attributes, the namespace, read-ahead, the ordered
// prefetch, the table of files shown to the kernel, and the control socket behind `ferry
// cache`. Options in, a running session out; fuse/ translates kernel requests onto it, and a
// test can drive it without FUSE. Owns every thread it starts (they end with it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

#include "cache/block_cache.h"
#include "core/thread_pool.h"
#include "ferry/object_store.h"
#include "fs/archived_reads.h"
#include "fs/attribute_cache.h"
#include "fs/block_reader.h"
#include "fs/cache_control.h"
#include "fs/control_server.h"
#include "fs/namespace.h"
#include "fs/ordered_prefetch.h"
#include "fs/shown_files.h"
#include "index/indexed_store.h"

namespace ferry::fs {

struct MountSessionOptions {
  std::string bucket;
  std::string prefix;  // "" or ending in '/'
  cache::BlockCacheOptions cache;
  uint64_t block_size = 1 << 20;
  uint64_t read_ahead_bytes = 64 << 20;
  uint64_t read_ahead_run_bytes = 8 << 20;  // fetched by one read-ahead GET
  uint64_t drop_behind_bytes = 0;
  int64_t metadata_ttl_ns = int64_t{60} * 1'000'000'000;
  uint32_t uid = 0, gid = 0;
  uint32_t file_mode = 0644, dir_mode = 0755;
  ImportPolicy import = ImportPolicy::All();
  std::shared_ptr<const std::unordered_set<std::string>> only_paths;
  ArchivedReadPolicy archived;  // reads of archived objects (archived_reads.h)
  // When set, directories are first listed from this index (of the mount's prefix or one
  // containing it) and file metadata comes from it: a mount of millions of objects starts
  // without a LIST (NamespaceOptions::indexed).
  std::shared_ptr<index::IndexReader> index;
};

class MountSession {
 public:
  // The store must outlive the session.
  static Result<std::unique_ptr<MountSession>> Open(ObjectStore& store,
                                                    MountSessionOptions options);
  ~MountSession();
  MountSession(const MountSession&) = delete;
  MountSession& operator=(const MountSession&) = delete;

  // Serves `ferry cache` for the mount whose root directory is mount_root.
  Status StartControl(const std::string& mount_root);

  Namespace& names() { return *names_; }
  ShownFiles& files() { return *files_; }
  BlockReader& reader() { return *reader_; }
  ArchivedReads& archived() { return *archived_; }
  cache::BlockCache& cache() { return *cache_; }
  CacheControl& control() { return *control_; }  // what `ferry cache` reaches through the socket
  const MountSessionOptions& options() const { return options_; }

 private:
  explicit MountSession(MountSessionOptions options) : options_(std::move(options)) {}

  MountSessionOptions options_;
  // In the order they are built; destroyed in reverse (users before what they use).
  std::unique_ptr<cache::BlockCache> cache_;
  std::unique_ptr<ArchivedReads> archived_;
  std::unique_ptr<BlockReader> reader_;
  std::unique_ptr<AttributeCache> attribute_cache_;
  std::unique_ptr<index::IndexedStore> indexed_;
  std::unique_ptr<Namespace> names_;
  std::unique_ptr<ThreadPool> read_ahead_pool_;
  std::unique_ptr<OrderedPrefetch> prefetch_;
  std::unique_ptr<ShownFiles> files_;
  std::unique_ptr<ThreadPool> load_pool_;
  std::unique_ptr<CacheControl> control_;
  std::unique_ptr<ControlServer> control_server_;
};

}  // namespace ferry::fs
