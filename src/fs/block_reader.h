// The mount's read path for file contents: byte ranges of one object version, served from
// the block cache and fetched from the store a block at a time on a miss. However many
// readers want a missing block at once, the store sees one GET for it; the readers wait for
// that fetch and copy from it. A fetched block goes into the cache when it fits (the cache
// may refuse when its space is held by readers); the waiting readers are served either way.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "cache/block_cache.h"
#include "core/buffer_pool.h"
#include "ferry/object_store.h"
#include "fs/archived_reads.h"

namespace ferry::fs {

// One version of an object, as a listing or a HEAD described it.
struct ObjectVersion {
  std::string bucket;
  std::string key;
  std::string etag;
  uint64_t size = 0;
  // Listed in a class whose bytes may be archived (GLACIER, DEEP_ARCHIVE, INTELLIGENT_TIERING).
  bool archived = false;
};

struct BlockReaderStats {
  uint64_t fetches = 0;  // blocks fetched from the store (a run of them takes one GET)
  uint64_t fetched_bytes = 0;
  uint64_t shared = 0;  // reads that waited for another reader's fetch
  uint64_t cache_hits = 0;
  uint64_t recent_hits = 0;   // reads served from blocks just fetched, still in memory
  uint64_t misses = 0;        // reads that waited for blocks from the store
  uint64_t unread_bytes = 0;  // small files fetched whole at lookup, not read yet
};

class BlockReader {
 public:
  // block_size: the unit of fetching and caching (the last block of an object is shorter).
  // The blocks fetched last stay in memory up to recent_bytes: a stream's reads of what its
  // read-ahead just fetched copy from there instead of reading the cache file back (make it
  // larger than the read-ahead window).
  // Small files are fetched whole at lookup while those not read yet hold at most
  // unread_budget bytes: `ls -l` of a directory does not download it.
  BlockReader(ObjectStore& store, cache::BlockCache& cache, uint64_t block_size,
              uint64_t recent_bytes = uint64_t{64} << 20,
              uint64_t unread_budget = uint64_t{2} << 20);

  // Bytes of an object as pieces of memory, kept alive by the holders: a block in memory is
  // handed out where it lies, without a copy.
  struct Slices {
    std::vector<std::string_view> parts;
    std::vector<std::shared_ptr<const char[]>> holders;
    size_t size = 0;
  };

  // Copies up to out.size() bytes at offset (fewer at the end of the object). A store error
  // comes back as is: PreconditionFailed when the object no longer has this ETag.
  Result<size_t> Read(const ObjectVersion& object, uint64_t offset, std::span<char> out);
  // Read without the copy: up to size bytes at offset.
  Result<Slices> ReadSlices(const ObjectVersion& object, uint64_t offset, size_t size);

  // Makes sure block index of the object is cached (or fetched), for read-ahead and preload;
  // a cached block is readied for reading (BlockCache::Prepare).
  Status Load(const ObjectVersion& object, uint64_t index);
  // Load of blocks [first, first + count): the missing ones that no other fetch is getting
  // are fetched with one ranged GET per consecutive run (a sequential stream's read-ahead:
  // fewer, larger requests).
  Status LoadRun(const ObjectVersion& object, uint64_t first, uint64_t count);

  // For an object no larger than a block whose block is not cached: one GET of the current
  // version answers its metadata (as a HEAD would) and its data, which goes into the cache.
  // Returns the metadata; the version read may be newer than object's.
  Result<ObjectMeta> ReadSmallObject(const ObjectVersion& object);
  // Whether a small object of this size may be fetched whole now (within the unread budget).
  bool MayReadWhole(uint64_t size);
  // The bytes of an object that ReadSmallObject fetched whole and that no read has been
  // served yet, handed out once: the mount gives them to the kernel's page cache with the
  // lookup's answer, which spares the file's first read a round trip.
  std::optional<Slices> TakeUnread(const ObjectVersion& object);
  bool Cached(const ObjectVersion& object, uint64_t index);

  // Reads of archived objects go through archived (may be null: they fail as the store
  // answers). Set before the first read; it must outlive the reader.
  void SetArchivedReads(ArchivedReads* archived) { archived_ = archived; }

  uint64_t block_size() const { return block_size_; }
  BlockReaderStats stats();

 private:
  // A block's bytes, held by the buffer they were fetched into (one block or a run of them).
  struct Block {
    std::shared_ptr<const char[]> buffer;
    std::string_view bytes;
    std::optional<uint32_t> crc32c;  // of bytes, when computed as they arrived
  };
  // A page-aligned buffer (the cache writes blocks from it without a copy), reused.
  std::shared_ptr<char[]> Buffer(uint64_t length);
  struct RecentBlock {
    std::string name;
    Block block;
    bool unread = false;
  };
  // unread: a small object fetched whole, not served yet (TakeUnread).
  void RememberLocked(const std::string& name, const Block& block, bool unread = false);
  // The block, if fetched a moment ago; it counts as served from then on.
  std::optional<Block> Recent(const std::string& name);
  struct Flight {
    std::condition_variable fetched;  // with mu_: only this block's waiters wake
    bool done = false;
    Status status;
    Block block;
  };

  cache::BlockKey KeyOf(const ObjectVersion& object, uint64_t index) const;
  uint64_t BlockLength(const ObjectVersion& object, uint64_t index) const;
  // The block's bytes from one fetch shared by every concurrent caller; a reader's fetch
  // (not a preload's) counts as a miss when it waits for the store.
  Result<Block> Fetch(const ObjectVersion& object, uint64_t index, bool for_reader = false);
  // Marks a recent block read, taking it out of the unread bytes.
  void MarkReadLocked(RecentBlock& recent);
  // Blocks [first, first + count) with one GET; once more after an archived object's
  // restore (archived_).
  Result<std::vector<Block>> FetchFromStore(const ObjectVersion& object, uint64_t first,
                                            uint64_t count);
  Result<std::vector<Block>> FetchFromStoreOnce(const ObjectVersion& object, uint64_t first,
                                                uint64_t count);
  Result<ObjectMeta> ReadSmallObjectOnce(const ObjectVersion& object);
  // Puts fetched blocks (first, first + 1, ...) into the cache, after their waiters had them.
  void Keep(const ObjectVersion& object, uint64_t first, const std::vector<Block>& blocks);
  // Ends the flight of a block: its waiters get got.
  void Complete(const std::string& name, const std::shared_ptr<Flight>& flight,
                const Result<Block>& got, bool fetched);

  ObjectStore& store_;
  ArchivedReads* archived_ = nullptr;
  cache::BlockCache& cache_;
  const uint64_t block_size_;
  const uint64_t recent_capacity_;
  const uint64_t unread_budget_;
  const std::shared_ptr<BufferPool> buffers_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;  // guarded by mu_
  BlockReaderStats stats_;                                            // guarded by mu_

  std::list<RecentBlock> recent_;  // guarded by mu_; newest first
  std::unordered_map<std::string, std::list<RecentBlock>::iterator> recent_index_;  // by mu_
  uint64_t recent_bytes_ = 0;  // guarded by mu_
};

}  // namespace ferry::fs
