// BlockCache: a persistent, size-bounded cache of object blocks on local disk, for the mount's
// read path. Each block is one self-describing file (block_file.h) under DIR/blocks/, named
// by a hash of (object, ETag, block index), so a changed object (new ETag) never hits an old
// block, and the cache is rebuilt from the files themselves on open: warm after a remount or
// a crash, with torn files (a crash mid-write) recognised and removed.
//
// The size limit is hard: a block is stored only after room was made for it by evicting the
// least recently used blocks no reader holds; when that is impossible the block is refused
// (the caller serves it from the store without caching). Space counts whole file-system
// blocks. Recency survives restarts through the files' mtimes, refreshed on hits at most
// once per touch_interval.
//
// Thread-safe. Data is checked against its CRC32C the first time a block is read after it
// was found on disk.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "cache/block_file.h"
#include "core/clock.h"
#include "ferry/result.h"

namespace ferry::cache {

struct BlockCacheOptions {
  std::string dir;
  uint64_t capacity_bytes = 0;
  std::chrono::seconds touch_interval{60};
  const Clock* clock = nullptr;  // null: the system clock
};

struct BlockCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t stored = 0;
  uint64_t refused = 0;  // Put found no room
  uint64_t evicted = 0;
  uint64_t dropped = 0;  // unreadable or corrupt blocks removed
  uint64_t blocks = 0;
  uint64_t bytes_used = 0;  // on disk, in file-system blocks
  uint64_t capacity_bytes = 0;
};

class BlockCache {
 public:
  // Creates DIR as needed and indexes the blocks already there.
  static Result<std::unique_ptr<BlockCache>> Open(const BlockCacheOptions& options);

  // Copies bytes [offset, offset + out.size()) of the block (fewer at its end) into out.
  // NotFound on a miss.
  Result<size_t> Read(const BlockKey& key, uint64_t offset, std::span<char> out);
  bool Contains(const BlockKey& key);
  // Makes a coming Read of a cached block cheap (for read-ahead): checks its CRC32C now if
  // not done yet (reading it into the page cache), else asks the kernel to read its file.
  // False when the block is not (or no longer: corrupt) cached. Counts no hit.
  bool Prepare(const BlockKey& key);

  // Stores the block (a no-op when present). ResourceExhausted when it cannot fit.
  Status Put(const BlockKey& key, std::string_view data);

  // Drops the blocks of an object (every ETag) not read or written since older_than_ns.
  // Returns the data bytes dropped.
  uint64_t Release(std::string_view object, int64_t older_than_ns = INT64_MAX);
  // Drops the blocks not read or written since t_ns.
  uint64_t ReleaseOlderThan(int64_t t_ns);
  // Data bytes cached for this version of an object.
  uint64_t CachedBytes(std::string_view object, std::string_view etag);

  BlockCacheStats stats();

 private:
  struct Entry {
    BlockKey key;
    uint64_t disk_bytes = 0;
    uint32_t data_length = 0;
    uint32_t header_length = 0;
    int64_t last_access_ns = 0;
    int64_t last_touch_ns = 0;
    int pins = 0;           // readers or the writer using the file
    bool ready = false;     // the file is complete
    bool verified = false;  // data checked against its CRC since it was found on disk
    std::list<std::string>::iterator lru;
  };

  explicit BlockCache(BlockCacheOptions options);
  Status Scan();
  std::string PathOf(const std::string& name) const;
  int64_t Now() const { return clock_->NowNanos(); }
  // Removes an entry and its file. REQUIRES: mu_ held, entry not pinned.
  void RemoveLocked(const std::string& name);
  bool MakeRoomLocked(uint64_t bytes);
  uint64_t ReleaseWhereLocked(const std::function<bool(const Entry&)>& pred);
  void Unpin(const std::string& name, bool drop);

  const BlockCacheOptions options_;
  const Clock* const clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_; by file name
  std::list<std::string> lru_;                      // guarded by mu_; most recent first
  std::unordered_map<std::string, std::unordered_set<std::string>> by_object_;  // guarded
  uint64_t used_ = 0;                                                           // guarded by mu_
  BlockCacheStats stats_;      // guarded by mu_ (counters)
  uint64_t temp_counter_ = 0;  // guarded by mu_
};

}  // namespace ferry::cache
