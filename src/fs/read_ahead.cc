#include "fs/read_ahead.h"

#include <algorithm>

namespace ferry::fs {

ReadAhead::ReadAhead(std::shared_ptr<BlockReader> reader, ThreadPool& pool, ObjectVersion object,
                     uint64_t max_blocks, uint64_t run_blocks)
    : reader_(std::move(reader)),
      pool_(pool),
      object_(std::move(object)),
      max_blocks_(std::max<uint64_t>(max_blocks, 1)),
      run_blocks_(std::clamp<uint64_t>(run_blocks, 1, max_blocks_)) {}

void ReadAhead::OnRead(uint64_t offset, uint64_t length) {
  const uint64_t block = reader_->block_size();
  const uint64_t blocks = (object_.size + block - 1) / block;
  uint64_t from, to;
  {
    std::lock_guard lock(mu_);
    // The kernel's own read-ahead sends a stream's reads to several FUSE threads at once, so
    // they arrive a little out of order: near the expected offset counts as sequential.
    const uint64_t slack = std::max<uint64_t>(4 * length, block);
    const bool sequential = offset + slack >= next_offset_ && offset <= next_offset_ + slack;
    if (!sequential) {
      next_offset_ = offset + length;
      window_ = 0;
      scheduled_until_ = 0;
      return;
    }
    next_offset_ = std::max(next_offset_, offset + length);
    window_ = std::min(max_blocks_, std::max<uint64_t>(1, window_ * 2));
    const uint64_t current = next_offset_ / block;
    from = std::max(scheduled_until_, current + 1);
    to = std::min(blocks, current + 1 + window_);
    // Wait for room for a whole run unless the window is still small or the object ends.
    const uint64_t run = std::min(run_blocks_, window_);
    if (from >= to || (to - from < run && to < blocks)) return;
    scheduled_until_ = to;
  }
  for (uint64_t i = from; i < to; i += run_blocks_) {
    const uint64_t n = std::min(run_blocks_, to - i);
    pool_.Submit(
        [reader = reader_, object = object_, i, n] { (void)reader->LoadRun(object, i, n); });
  }
}

uint64_t ReadAhead::window_blocks() {
  std::lock_guard lock(mu_);
  return window_;
}

}  // namespace ferry::fs
