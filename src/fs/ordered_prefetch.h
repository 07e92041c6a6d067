// Prefetch in a job's read order. Given the files a reader will open, in the order it will
// open them (a training job's sampler order), the files just ahead of the reader are loaded
// into the cache in the background, within a window of files and bytes, so the reader finds
// them cached. The reader's position is the planned file it opened last (OnOpen); a window
// that only slides when the reader moves cannot flood the cache with data read much later.
// The plan may name a file more than once (several epochs). A file's attributes are read
// ahead too (Namespace::Warm), so the reader's lookups cost no request either. Thread-safe;
// owns its workers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "fs/block_reader.h"
#include "fs/namespace.h"

namespace ferry::fs {

struct OrderedPrefetchOptions {
  std::string prefix;  // the mount's key prefix: plan paths + prefix = object keys
  uint64_t window_files = 256;
  uint64_t window_bytes = uint64_t{512} << 20;
  unsigned workers = 8;
};

struct OrderedPrefetchStats {
  uint64_t planned = 0;   // files in the plan
  uint64_t position = 0;  // plan entries the reader has passed
  uint64_t loaded_files = 0;
  uint64_t loaded_bytes = 0;  // bytes of the files loaded (cached before or fetched now)
  uint64_t failures = 0;
};

class OrderedPrefetch {
 public:
  OrderedPrefetch(Namespace& names, BlockReader& reader, OrderedPrefetchOptions options);
  ~OrderedPrefetch();  // stops loading and joins the workers
  OrderedPrefetch(const OrderedPrefetch&) = delete;
  OrderedPrefetch& operator=(const OrderedPrefetch&) = delete;

  // Replaces the plan (paths relative to the mount's root) and starts loading its head.
  void SetOrder(std::vector<std::string> paths);
  // The reader opened the object with this key: the window moves past its plan entry.
  void OnOpen(const std::string& key);

  OrderedPrefetchStats stats();

 private:
  void Work();
  // Whether entry next_ may start loading: inside both windows.
  bool CanStart() const;

  Namespace& names_;
  BlockReader& reader_;
  const OrderedPrefetchOptions options_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool stopping_ = false;                                             // guarded by mu_
  uint64_t generation_ = 0;                                           // guarded by mu_
  std::vector<std::string> plan_;                                     // guarded by mu_
  std::unordered_map<std::string, std::vector<uint64_t>> positions_;  // guarded by mu_; by key
  std::vector<uint64_t> sizes_;       // guarded by mu_; per entry, once located
  uint64_t position_ = 0;             // guarded by mu_: entries before it were opened or passed
  uint64_t next_ = 0;                 // guarded by mu_: the next entry to load
  uint64_t ahead_bytes_ = 0;          // guarded by mu_: sizes of entries in [position_, next_)
  OrderedPrefetchStats stats_;        // guarded by mu_
  std::vector<std::thread> workers_;  // last: started when the rest is ready
};

}  // namespace ferry::fs
