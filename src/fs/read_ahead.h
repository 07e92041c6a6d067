// Adaptive read-ahead for one file (the mount keeps one per inode): while its reads stay
// sequential, the blocks after the one being read are loaded into the cache in the background, the
// window doubling from one block up to max_blocks with each sequential read and collapsing on a
// random one. A read near where the last ended counts as sequential: the kernel's read-ahead
// requests of one stream reach several FUSE threads and arrive slightly out of order. Random
// readers thus fetch single blocks, streams find their next blocks already cached. Thread-safe; the
// loads run on a pool the caller owns (shared by all open files) and hold only a shared reference
// to what they need, so closing a file never waits for them.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "core/thread_pool.h"
#include "fs/block_reader.h"

namespace ferry::fs {

class ReadAhead {
 public:
  // Blocks are loaded in runs of up to run_blocks with one GET each; a run is scheduled once
  // that many blocks fit in the window (or the object ends), so a stream's GETs stay large.
  ReadAhead(std::shared_ptr<BlockReader> reader, ThreadPool& pool, ObjectVersion object,
            uint64_t max_blocks, uint64_t run_blocks = 1);

  // Tells the read-ahead that [offset, offset + length) is being read; schedules loads.
  void OnRead(uint64_t offset, uint64_t length);

  uint64_t window_blocks();  // for tests

 private:
  const std::shared_ptr<BlockReader> reader_;
  ThreadPool& pool_;
  const ObjectVersion object_;
  const uint64_t max_blocks_;
  const uint64_t run_blocks_;
  std::mutex mu_;
  uint64_t next_offset_ = 0;      // guarded by mu_: where a sequential read would continue
  uint64_t window_ = 0;           // guarded by mu_: blocks to keep loaded ahead
  uint64_t scheduled_until_ = 0;  // guarded by mu_: blocks below this index were scheduled
};

}  // namespace ferry::fs
