// What `ferry cache` asks of a running mount (load, release, status, stats), answered from
// the mount's namespace, block reader and cache. Paths are relative to the mount's root.
// Thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cache/block_cache.h"
#include "core/thread_pool.h"
#include "fs/block_reader.h"
#include "fs/namespace.h"
#include "fs/ordered_prefetch.h"

namespace ferry::fs {

class CacheControl {
 public:
  CacheControl(Namespace& names, BlockReader& reader, cache::BlockCache& cache, ThreadPool& pool,
               OrderedPrefetch& prefetch, const Clock* clock = nullptr);

  // {"op": "stats"|"status"|"load"|"release"|"refresh", "path": "dir/file",
  //  "older_than_s": N, "recursive": bool} or {"op": "prefetch", "paths": [...]}
  // → a JSON answer; {"error": "..."} when the request cannot be served.
  // A load reports {"files", "loaded_bytes", "total_bytes"} to progress now and then.
  nlohmann::json Handle(const nlohmann::json& request,
                        const std::function<void(const nlohmann::json&)>& progress = nullptr);

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
