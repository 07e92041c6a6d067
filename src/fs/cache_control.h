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

namespace ferry::fs {

class CacheControl {
 public:
  CacheControl(Namespace& names, BlockReader& reader, cache::BlockCache& cache, ThreadPool& pool,
               const Clock* clock = nullptr);

  // {"op": "stats"|"status"|"load"|"release", "path": "dir/file", "older_than_s": N}
  // → a JSON answer; {"error": "..."} when the request cannot be served.
  nlohmann::json Handle(const nlohmann::json& request);

 private:
  // Calls fn for every file at or under path.
  Status ForEachFile(const std::string& path,
                     const std::function<void(const std::string&, const NodeAttributes&)>& fn);

  Namespace& names_;
  BlockReader& reader_;
  cache::BlockCache& cache_;
  ThreadPool& pool_;
  const Clock* const clock_;
};

}  // namespace ferry::fs
