// BlockCache: a persistent, size-bounded cache of object blocks on local disk, for the mount's
// read path. Blocks are appended to a fixed set of segment files under DIR/segments/
// (segment_file.h), each entry self-describing (object, ETag, block index, CRC32C), so a
// changed object (new ETag) never hits an old block, and the index is rebuilt from the
// segments on open: warm after a remount or a crash, with torn entries recognised and
// dropped.
//
// The size limit is hard: the segments together never exceed it. Space is reclaimed a
// segment at a time: when no segment has room, the one whose blocks were used least recently
// (and that no reader holds) is emptied and reused; when that is impossible the block is
// refused (the caller serves it from the store without caching). Released blocks give their
// disk space back at once (hole punching) and a segment left without blocks is reused first.
// Recency survives restarts through the segments' mtimes, refreshed on hits at most once per
// touch_interval.
//
// Several processes (mounts, training jobs) may use one cache directory at once, within one
// size limit: segment_table.h says how. Each indexes the blocks the others wrote as it misses
// them, so a block one mount fetched is a hit for the next. Thread-safe. Data is checked
// against its CRC32C the first time a block is read after it was found on disk.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cache/block_file.h"
#include "cache/segment_file.h"
#include "cache/segment_table.h"
#include "core/buffer_pool.h"
#include "core/clock.h"
#include "ferry/result.h"

namespace ferry::cache {

struct BlockCacheOptions {
  std::string dir;
  uint64_t capacity_bytes = 0;
  std::chrono::seconds touch_interval{60};
  const Clock* clock = nullptr;  // null: the system clock
  // Size of one segment file, the unit of eviction; 0: capacity / 64, at least 4 MiB, at
  // most half the capacity. An entry larger than a segment is refused.
  uint64_t segment_bytes = 0;
  // Small blocks are written a batch at a time; a batch this old is written even when it is
  // not full, so that other processes sharing the directory see its blocks.
  std::chrono::milliseconds flush_interval{200};
};

struct BlockCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t stored = 0;
  uint64_t refused = 0;  // Put found no room
  uint64_t evicted = 0;
  uint64_t dropped = 0;     // unreadable or corrupt blocks removed
  uint64_t blocks = 0;      // entries that are blocks (not metadata: kMetadataIndex)
  uint64_t bytes_used = 0;  // on disk by the cached blocks (4 KiB pages of header and data)
  uint64_t capacity_bytes = 0;
  uint64_t segments = 0;  // segment files (each segment_bytes long)
};

class BlockCache {
 public:
  // Creates DIR as needed and indexes the blocks already there.
  static Result<std::unique_ptr<BlockCache>> Open(const BlockCacheOptions& options);
  ~BlockCache();
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // Copies bytes [offset, offset + out.size()) of the block (fewer at its end) into out.
  // NotFound on a miss.
  Result<size_t> Read(const BlockKey& key, uint64_t offset, std::span<char> out);
  bool Contains(const BlockKey& key);
  // Makes a coming Read of a cached block cheap (for read-ahead): checks its CRC32C now if
  // not done yet (reading it into the page cache), else asks the kernel to read its file.
  // False when the block is not (or no longer: corrupt) cached. Counts no hit.
  bool Prepare(const BlockKey& key);

  // Stores the block (a no-op when present). ResourceExhausted when it cannot fit.
  // data_crc32c: the data's CRC32C, when the caller computed it while the bytes arrived.
  Status Put(const BlockKey& key, std::string_view data,
             std::optional<uint32_t> data_crc32c = std::nullopt);

  // Drops the blocks of an object (every ETag) not read or written since older_than_ns.
  // Returns the data bytes dropped.
  uint64_t Release(std::string_view object, int64_t older_than_ns = INT64_MAX);
  // Drops the blocks not read or written since t_ns.
  uint64_t ReleaseOlderThan(int64_t t_ns);
  // Data bytes cached for this version of an object.
  uint64_t CachedBytes(std::string_view object, std::string_view etag);

  BlockCacheStats stats();
  // Writes the blocks still gathered in memory to their segment, where other processes
  // sharing the directory find them.
  void Flush();
  // Set when the directory was in use by another process with another size limit, whose
  // limit this one took: says so in words (for a warning).
  const std::string& shared_limit_note() const { return shared_limit_note_; }

 private:
  // Small entries are gathered in memory and written to their segment a batch at a time: on
  // a VM every direct write costs a device notification (an exit to the hypervisor), which
  // at ~100 KiB per entry was half the CPU of caching it. Entries in a batch not yet written
  // are read from its memory.
  struct Batch {
    uint32_t segment = 0;
    uint64_t base = 0;              // segment offset of bytes[0]
    std::shared_ptr<char[]> bytes;  // page-aligned, from batch_buffers_
    uint64_t reserved = 0;          // bytes handed out to entries
    int copying = 0;                // entries being copied in
    bool sealed = false;            // takes no more entries; written once copying is 0
    std::chrono::steady_clock::time_point opened = std::chrono::steady_clock::now();
    std::vector<std::string> names;
    // Entries dropped before the batch was written: their space is punched out after it.
    std::vector<std::pair<uint64_t, uint64_t>> dropped;
  };
  struct Entry {
    BlockKey key;
    uint32_t segment = 0;
    uint64_t offset = 0;  // of the entry (its header) in the segment
    uint32_t data_length = 0;
    uint32_t header_length = 0;
    uint64_t disk_bytes = 0;
    int64_t last_access_ns = 0;
    int pins = 0;                  // readers or the writer using the entry
    bool range_locked = false;     // a reader's shared lock on its bytes (while pinned)
    bool ready = false;            // written completely
    uint64_t epoch = 0;            // of its segment when it was indexed
    uint64_t changes = 0;          // the segment's change count when the entry was checked
    bool verified = false;         // data checked against its CRC since it was found on disk
    std::shared_ptr<Batch> batch;  // while the entry is only in a batch's memory
  };
  struct Segment {
    std::unique_ptr<SegmentFile> file;  // null until first used
    bool leased = false;                // this process appends to it (holds its lease byte)
    uint64_t fill = 0;                  // while leased: bytes reserved (the next entry's place)
    std::set<uint64_t> writing;         // while leased: offsets of writes not yet on disk
    uint64_t epoch = 0;       // the table's epoch of the segment the index holds entries of
    uint64_t indexed_to = 0;  // the entries below are indexed (or were dropped)
    uint64_t live_bytes = 0;  // of entries indexed
    int pins = 0;             // of its entries and unwritten batches, summed
    int64_t last_touch_ns = 0;
    std::vector<std::string> names;  // entries indexed since the last reset (some may be gone)
  };
  enum class Unpinned { kKeep, kDrop, kForget };

  BlockCache(BlockCacheOptions options, std::unique_ptr<SegmentTable> table);
  std::string SegmentPath(size_t index) const;
  Status OpenSegmentLocked(size_t index);
  // The index of what the segment files hold, when this process is the directory's only
  // user; else CatchUp builds it.
  Status Rebuild();
  // Indexes the entries other processes appended or dropped since the last call; false when
  // nothing new was found (or another thread is at it).
  bool CatchUp();
  // Indexes an entry found on disk in a segment (verified on its first read); false when a
  // block of that key is indexed already. REQUIRES: mu_ held.
  bool IndexFoundLocked(size_t index, uint64_t offset, BlockHeader&& header, uint64_t epoch,
                        uint64_t changes, int64_t last_access_ns);
  // Forgets the unpinned entries of a segment another process emptied. REQUIRES: mu_ held.
  void ForgetSegmentLocked(size_t index);
  // Takes the lease of a segment to append bytes to: one with room, else the least recently
  // used one no process reads from, emptied. REQUIRES: mu_ held.
  std::optional<size_t> LeaseLocked(uint64_t bytes);
  // Lets other processes index what was written to a leased segment, and gives the lease
  // back once the segment is no longer appended to. REQUIRES: mu_ held.
  void PublishLocked(size_t index);
  // Pins an indexed entry for reading (with a shared lock on its bytes); nullopt when it is
  // absent or another process is dropping it. REQUIRES: mu_ held.
  Entry* PinForReadLocked(const std::string& name, const BlockKey& key);
  // Whether the entry's header is still on disk where the index says (another process may
  // have dropped it). Reads it; call with the entry pinned.
  bool StillThere(const Entry& snapshot, SegmentFile& file);
  int64_t Now() const { return clock_->NowNanos(); }
  uint64_t DataOffset(const Entry& e) const { return e.offset + AlignUp(e.header_length); }
  // Removes an entry from the index; free_space also gives its bytes back to the file system.
  // REQUIRES: mu_ held, entry not pinned.
  void RemoveLocked(const std::string& name, bool free_space);
  // Drops an unpinned entry and gives its space back, unless another process reads it: then
  // false and it stays. REQUIRES: mu_ held.
  bool DropLocked(const std::string& name);
  // Room for bytes in the segment being appended to, switching to an empty or emptied one
  // when it is full. Returns the segment and offset, or nullopt when every full segment is
  // held by readers.
  std::optional<std::pair<size_t, uint64_t>> ReserveLocked(uint64_t bytes);
  uint64_t ReleaseWhereLocked(const std::function<bool(const Entry&)>& pred);
  void Unpin(const std::string& name, Unpinned then);
  void UnpinLocked(Entry& entry, Segment& segment);
  // A place in the open batch for an entry of bytes at (segment, offset), starting a new
  // batch when it does not continue the open one. A batch this seals whose entries are all
  // copied in is returned in to_write. REQUIRES: mu_ held.
  std::pair<std::shared_ptr<Batch>, uint64_t> BatchPlaceLocked(size_t segment, uint64_t offset,
                                                               uint64_t bytes,
                                                               std::shared_ptr<Batch>* to_write);
  // Writes a sealed batch out and lets its entries be read from the segment.
  void WriteBatch(const std::shared_ptr<Batch>& batch);
  // Lets a batch's entries be read from the segment, or drops them when it was not written.
  void FinishBatchLocked(const std::shared_ptr<Batch>& batch, const Status& written);
  // The flusher thread: writes batches older than flush_interval until the cache closes.
  void FlushOldBatches();

  const BlockCacheOptions options_;
  const Clock* const clock_;
  const std::unique_ptr<SegmentTable> table_;
  const uint64_t segment_bytes_;
  std::string shared_limit_note_;
  std::mutex catch_up_mu_;  // one CatchUp at a time
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_; by BlockFileName
  std::vector<Segment> segments_;                   // guarded by mu_
  std::optional<size_t> appending_;                 // guarded by mu_; the segment written to
  std::shared_ptr<Batch> batch_;                    // guarded by mu_; the one taking entries
  // Batch memory is reused: a fresh buffer costs a page fault per 4 KiB as it is filled.
  const std::shared_ptr<BufferPool> batch_buffers_;
  std::unordered_map<std::string, std::unordered_set<std::string>> by_object_;  // guarded
  uint64_t used_ = 0;                                                           // guarded by mu_
  BlockCacheStats stats_;  // guarded by mu_ (counters)
  bool closing_ = false;   // guarded by mu_
  std::condition_variable flush_cv_;
  std::thread flusher_;
};

}  // namespace ferry::cache
