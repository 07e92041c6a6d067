// What `ferry cache` asks of a running mount (load, release, status, stats), answered from
// the mount's namespace, block reader and cache. Paths are relative to the mount's root.
// Thread-safe.
#pragma once

#include <functional>
#include <string>

#include "cache/block_cache.h"
#include "core/thread_pool.h"
#include "fs/block_reader.h"
#include "fs/cache_messages.h"
#include "fs/namespace.h"
#include "fs/ordered_prefetch.h"

namespace ferry::fs {

class CacheControl {
 public:
  CacheControl(Namespace& names, BlockReader& reader, cache::BlockCache& cache, ThreadPool& pool,
               OrderedPrefetch& prefetch, const Clock* clock = nullptr);

  using Progress = std::function<void(const LoadProgress&)>;

  // Answers request with the answer type of its operation (cache_messages.h). A load reports
  // its progress now and then.
  Result<CacheAnswer> Handle(const CacheRequest& request, const Progress& progress = nullptr);

  StatsAnswer Stats();
  Result<StatusAnswer> StatusOf(const std::string& path);  // cached bytes per file
  Result<LoadAnswer> Load(const std::string& path, const Progress& progress);
  Result<ReleaseAnswer> Release(const std::string& path, int64_t older_than_s);
  Result<RefreshAnswer> Refresh(const std::string& path, bool recursive);
  PrefetchAnswer Prefetch(std::vector<std::string> paths);

 private:
  // Calls fn for every file at or under path, with the version its listing shows.
  Status ForEachFile(const std::string& path,
                     const std::function<void(const std::string&, const ObjectVersion&)>& fn);
  Status ForEachFileIn(uint64_t dir_ino, const std::string& base,
                       const std::function<void(const std::string&, const ObjectVersion&)>& fn);

  Namespace& names_;
  BlockReader& reader_;
  cache::BlockCache& cache_;
  ThreadPool& pool_;
  OrderedPrefetch& prefetch_;
  const Clock* const clock_;
};

}  // namespace ferry::fs
