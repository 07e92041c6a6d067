// DropBehind: which pages of a file a sequential reader has left far behind. The mount serves
// a file from its disk cache; the kernel keeps a second copy of everything read in its page
// cache, and a stream through a large file takes fresh memory for every page of it. Where
// fresh memory is dear (VMs that hand free memory back to the host: core/host_memory.h), the
// mount gives back what a stream left more than `distance` behind it: the stream's pages then
// recycle a window of memory, and a later read of them comes from the disk cache. Files smaller
// than the distance, random reads and files read by several streams at once keep all their pages.
// Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>

namespace ferry::fs {

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
  bool operator==(const ByteRange&) const = default;
};

class DropBehind {
 public:
  // Ranges are handed out page-aligned, in pieces of a quarter of the distance (at most
  // kMaxStep), so a stream costs one invalidation per piece.
  explicit DropBehind(uint64_t distance);
  static constexpr uint64_t kMaxStep = 64 << 20;

  // Tells that [offset, offset + length) is being read; returns what may be dropped now.
  std::optional<ByteRange> OnRead(uint64_t offset, uint64_t length);

 private:
  const uint64_t distance_;
  const uint64_t step_;
  std::mutex mu_;
  uint64_t kept_from_ = 0;  // guarded by mu_: where the current run's kept pages begin
  uint64_t next_ = 0;       // guarded by mu_: where a sequential read would continue
};

}  // namespace ferry::fs
