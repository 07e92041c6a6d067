// Reads a listing index from a source that serves byte ranges (a local file, an object read
// with ranged GETs, bytes in memory): the trailer and footer when opened, a block when an
// iterator reaches it, each block checked against its CRC32C before use and kept decoded in a
// small cache. Answers ListObjects requests as S3 would from the keys it holds. Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ferry/object_store.h"
#include "index/index_format.h"

namespace ferry::index {

// Where the index's bytes are.
class IndexSource {
 public:
  virtual ~IndexSource() = default;
  virtual uint64_t size() const = 0;
  // Exactly length bytes at offset.
  virtual Result<std::string> Read(uint64_t offset, uint64_t length) = 0;
  // For messages: "s3://bucket/key" or a path.
  virtual const std::string& name() const = 0;
};

std::unique_ptr<IndexSource> SourceOfBytes(std::string bytes, std::string name);
Result<std::unique_ptr<IndexSource>> SourceOfFile(const std::string& path);
// Ranged GETs of the object's current version (pinned to the ETag it had when opened).
Result<std::unique_ptr<IndexSource>> SourceOfObject(ObjectStore& store, const std::string& bucket,
                                                    const std::string& key);

// Opens the index in object s3://bucket/key (is_s3) or in the local file at path. whole: the
// object is fetched in one request when not over 256 MiB (a mount or a sync reads most of
// it), else block by block with ranged reads (a shard reads its part).
class IndexReader;
Result<std::shared_ptr<IndexReader>> OpenIndex(ObjectStore& store, bool is_s3,
                                               const std::string& bucket_or_path,
                                               const std::string& key, bool whole);

using Block = std::shared_ptr<const std::vector<IndexEntry>>;

class IndexReader {
 public:
  // Corruption naming the source for anything that is not a whole, intact index;
  // NotImplemented for a newer format.
  static Result<std::unique_ptr<IndexReader>> Open(std::unique_ptr<IndexSource> source,
                                                   size_t cached_blocks = 64);

  const IndexInfo& info() const { return footer_.info; }
  const std::vector<BlockHandle>& blocks() const { return footer_.blocks; }
  const std::string& name() const { return source_->name(); }
  // The greatest key held; empty for an empty index.
  const std::string& last_key() const;
  // Whether keys under prefix can sort after last_key() — written since, so a listing of the
  // prefix must ask the store for them too.
  bool MayEndBefore(std::string_view prefix) const;

  // Block i's entries, read and checked on first use.
  Result<Block> ReadBlock(size_t i);
  // Blocks [first, last), which lie end to end in the file: one read, each checked; not kept
  // in the cache (a shard reads its run once).
  Result<std::vector<Block>> ReadBlocks(size_t first, size_t last);

  // Walks entries in key order.
  class Iterator {
   public:
    explicit Iterator(IndexReader& reader) : reader_(reader) {}
    // To the first entry whose key is >= target.
    Status Seek(std::string_view target);
    Status Next();
    bool Valid() const { return block_ != nullptr && at_ < block_->size(); }
    const IndexEntry& entry() const { return (*block_)[at_]; }
    // The position as (block, entry within it), for readers of a range of entries.
    Status SeekToBlock(size_t block);

   private:
    Status Load(size_t block);
    IndexReader& reader_;
    size_t block_index_ = 0;
    Block block_;
    size_t at_ = 0;
  };

  // The entry of key, if the index holds it.
  Result<std::optional<IndexEntry>> Find(std::string_view key);

  // ListObjectsV2 over the entries: prefix, delimiter, start_after and max_keys as S3 means
  // them. Objects carry size, ETag, Last-Modified, storage class and, when the index read
  // them, their POSIX metadata as user metadata.
  Result<ListObjectsPage> List(const ListObjectsRequest& req);

 private:
  // Block i from its compressed bytes: checksum, decompression, entries, keys.
  Result<Block> Decode(size_t i, std::string_view compressed) const;

  IndexReader(std::unique_ptr<IndexSource> source, Footer footer, size_t cached_blocks)
      : source_(std::move(source)), footer_(std::move(footer)), cached_blocks_(cached_blocks) {}

  const std::unique_ptr<IndexSource> source_;
  const Footer footer_;
  const size_t cached_blocks_;
  std::mutex mu_;
  std::list<size_t> recent_;  // guarded by mu_: most recently used first
  std::unordered_map<size_t, std::pair<Block, std::list<size_t>::iterator>> cache_;  // by mu_
};

// The object a listing shows for an entry.
ObjectMeta MetaOf(const IndexEntry& entry);
// The entry of a listed (or HEAD) object: metadata_known when meta came from a HEAD.
IndexEntry EntryOf(const ObjectMeta& meta, bool metadata_known);

}  // namespace ferry::index
