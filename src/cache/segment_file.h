// One file of the block cache: a fixed-size region that blocks are appended to, each entry
// at a 4 KiB boundary as [header, padded to 4 KiB][data, padded to 4 KiB] (block_file.h
// describes the header). Appending into a few large files instead of creating a file per
// block spares the file system an inode allocation, a rename and two directory locks per
// block, which dominated the cost of caching small objects.
//
// Data is written with direct I/O where the file system allows it: a block is written once
// and rarely read back soon after (the mount serves fresh blocks from memory), so filling
// the page cache with it costs CPU (and, on VMs that hand freed memory back to the host, a
// host page fault per page) for nothing. Reads go through the page cache.
//
// Owns its file descriptors (and so its locks). Concurrent Write/Read calls on disjoint ranges are
// safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "cache/block_file.h"
#include "ferry/result.h"

namespace ferry::cache {

inline constexpr uint64_t kSegmentAlign = 4096;

inline uint64_t AlignUp(uint64_t n) {
  return (n + kSegmentAlign - 1) / kSegmentAlign * kSegmentAlign;
}

// Bytes an entry takes in a segment.
inline uint64_t EntryBytes(uint64_t header_length, uint64_t data_length) {
  return AlignUp(header_length) + AlignUp(data_length);
}

class SegmentFile {
 public:
  // Opens (creating if needed) the file at path with room for size bytes reserved on disk.
  static Result<std::unique_ptr<SegmentFile>> Open(const std::string& path, uint64_t size);
  ~SegmentFile();
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;

  // Forgets every entry: the whole file reads as zeros again (a recycled segment).
  Status Reset();
  // Writes one entry at offset (a multiple of kSegmentAlign).
  Status Write(uint64_t offset, std::string_view header, std::string_view data);
  // Writes bytes already laid out as entries (a batch of them) at offset. The data must be
  // page-aligned in memory and a multiple of kSegmentAlign long.
  Status WriteEntries(uint64_t offset, std::string_view bytes);
  // Reads up to out.size() bytes at offset.
  Result<size_t> Read(uint64_t offset, std::span<char> out);
  // Asks the kernel to read a range into the page cache.
  void WillNeed(uint64_t offset, uint64_t length);
  // Gives a dropped entry's disk space back to the file system.
  void Free(uint64_t offset, uint64_t length);
  // Marks the file as used now (its mtime is the recency of its blocks after a restart).
  void Touch();
  int64_t mtime_ns() const;

  // Calls found(offset, header) for each entry in [from, to), from `from` until the first
  // position that holds no valid header and is not a hole (a dropped entry's punched space);
  // returns the end of the last entry found (from, with none), where appending resumes.
  uint64_t Scan(uint64_t from, uint64_t to,
                const std::function<void(uint64_t, BlockHeader&&)>& found);

  // Byte-range locks shared with other processes (segment_table.h says which ranges mean
  // what). One process's locks never conflict with each other: it orders its own users.
  // False when another process holds a conflicting lock (never waits).
  bool TryLock(uint64_t offset, uint64_t length, bool exclusive);
  void Unlock(uint64_t offset, uint64_t length);

  const std::string& path() const { return path_; }

 private:
  SegmentFile(std::string path, uint64_t size, int fd, int direct_fd);
  Status Reserve();

  const std::string path_;
  const uint64_t size_;
  const int fd_;         // reads, and writes when direct I/O is refused
  const int direct_fd_;  // -1 when the file system refuses O_DIRECT
};

}  // namespace ferry::cache
