#include "fs/block_reader.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/checksum.h"
#include "store/read_full.h"

namespace ferry::fs {

BlockReader::BlockReader(ObjectStore& store, cache::BlockCache& cache, uint64_t block_size,
                         uint64_t recent_bytes, uint64_t unread_budget)
    : store_(store),
      cache_(cache),
      block_size_(std::max<uint64_t>(block_size, 1)),
      recent_capacity_(recent_bytes),
      unread_budget_(unread_budget),
      // Enough for the read-ahead's runs in flight beyond what the recent blocks hold.
      buffers_(BufferPool::Create(64 << 20)) {}

std::shared_ptr<char[]> BlockReader::Buffer(uint64_t length) {
  // Not zeroed: every byte is read into before use.
  std::shared_ptr<char[]> buffer = buffers_->Get(static_cast<size_t>(length));
  if (!buffer) throw std::bad_alloc();
  return buffer;
}

cache::BlockKey BlockReader::KeyOf(const ObjectVersion& object, uint64_t index) const {
  return {object.bucket + "/" + object.key, object.etag, index, block_size_};
}

uint64_t BlockReader::BlockLength(const ObjectVersion& object, uint64_t index) const {
  const uint64_t start = index * block_size_;
  return start >= object.size ? 0 : std::min<uint64_t>(block_size_, object.size - start);
}

Result<std::vector<BlockReader::Block>> BlockReader::FetchFromStore(const ObjectVersion& object,
                                                                    uint64_t first,
                                                                    uint64_t count) {
  auto fetched = FetchFromStoreOnce(object, first, count);
  if (fetched.ok() || !archived_ || !IsArchivedRefusal(fetched.status())) return fetched;
  FERRY_RETURN_IF_ERROR(archived_->Handle(object.bucket, object.key));
  return FetchFromStoreOnce(object, first, count);
}

Result<std::vector<BlockReader::Block>> BlockReader::FetchFromStoreOnce(const ObjectVersion& object,
                                                                        uint64_t first,
                                                                        uint64_t count) {
  const uint64_t start = first * block_size_;
  uint64_t length = 0;
  for (uint64_t i = first; i < first + count; ++i) length += BlockLength(object, i);
  OpenHints hints;
  hints.size = object.size;
  hints.etag = object.etag;
  FERRY_ASSIGN_OR_RETURN(auto reader, store_.OpenObject(object.bucket, object.key, hints));
  std::shared_ptr<char[]> data = Buffer(length);
  // Each block's CRC32C (for its cache entry) is computed as its bytes arrive, while they are
  // in the CPU's caches: a second pass over the run once it is complete cost a tenth of a
  // cold sequential read.
  std::vector<uint32_t> crcs(count, 0);
  const ObjectReader::ArrivalObserver checksum = [&](uint64_t at, std::string_view bytes) {
    while (!bytes.empty()) {
      const uint64_t index = at / block_size_;
      const size_t n =
          static_cast<size_t>(std::min<uint64_t>(bytes.size(), (index + 1) * block_size_ - at));
      uint32_t& crc = crcs[index - first];
      crc = Crc32c(crc, std::span<const char>(bytes.data(), n));
      at += n;
      bytes.remove_prefix(n);
    }
  };
  FERRY_RETURN_IF_ERROR(
      ReadFull(*reader, start, std::span<char>(data.get(), length), object.bucket, &checksum));
  std::vector<Block> blocks;
  std::shared_ptr<const char[]> buffer = std::move(data);
  size_t offset = 0;
  for (uint64_t i = first; i < first + count; ++i) {
    const size_t n = static_cast<size_t>(BlockLength(object, i));
    blocks.push_back(Block{buffer, std::string_view(buffer.get() + offset, n), crcs[i - first]});
    offset += n;
  }
  return blocks;
}

void BlockReader::Keep(const ObjectVersion& object, uint64_t first,
                       const std::vector<Block>& blocks) {
  for (size_t k = 0; k < blocks.size(); ++k) {
    // A full cache (its space held by readers) only means this block is not kept.
    (void)cache_.Put(KeyOf(object, first + k), blocks[k].bytes, blocks[k].crc32c);
  }
}

void BlockReader::RememberLocked(const std::string& name, const Block& block, bool unread) {
  if (recent_index_.contains(name)) return;
  recent_.push_front({name, block, unread});
  recent_index_.emplace(name, recent_.begin());
  recent_bytes_ += block.bytes.size();
  if (unread) stats_.unread_bytes += block.bytes.size();
  while (recent_bytes_ > recent_capacity_ && !recent_.empty()) {
    MarkReadLocked(recent_.back());
    recent_bytes_ -= recent_.back().block.bytes.size();
    recent_index_.erase(recent_.back().name);
    recent_.pop_back();
  }
}

void BlockReader::MarkReadLocked(RecentBlock& recent) {
  if (!recent.unread) return;
  recent.unread = false;
  stats_.unread_bytes -= recent.block.bytes.size();
}

bool BlockReader::MayReadWhole(uint64_t size) {
  std::lock_guard lock(mu_);
  return stats_.unread_bytes + size <= unread_budget_;
}

std::optional<BlockReader::Block> BlockReader::Recent(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = recent_index_.find(name);
  if (it == recent_index_.end()) return std::nullopt;
  MarkReadLocked(*it->second);
  return it->second->block;
}

std::optional<BlockReader::Slices> BlockReader::TakeUnread(const ObjectVersion& object) {
  const std::string name = cache::BlockFileName(KeyOf(object, 0));
  std::lock_guard lock(mu_);
  auto it = recent_index_.find(name);
  if (it == recent_index_.end() || !it->second->unread) return std::nullopt;
  RecentBlock& recent = *it->second;
  MarkReadLocked(recent);
  if (recent.block.bytes.size() != object.size) return std::nullopt;
  Slices slices;
  slices.parts.push_back(recent.block.bytes);
  slices.holders.push_back(recent.block.buffer);
  slices.size = recent.block.bytes.size();
  return slices;
}

void BlockReader::Complete(const std::string& name, const std::shared_ptr<Flight>& flight,
                           const Result<Block>& got, bool fetched) {
  std::lock_guard lock(mu_);
  flight->done = true;
  if (got.ok()) {
    flight->block = *got;
    RememberLocked(name, *got);
    if (fetched) {
      ++stats_.fetches;
      stats_.fetched_bytes += got->bytes.size();
    }
  } else {
    flight->status = got.status();
  }
  flights_.erase(name);
  flight->fetched.notify_all();
}

Result<BlockReader::Block> BlockReader::Fetch(const ObjectVersion& object, uint64_t index,
                                              bool for_reader) {
  const std::string name = cache::BlockFileName(KeyOf(object, index));
  std::shared_ptr<Flight> flight;
  {
    std::unique_lock lock(mu_);
    // A fetch that ended since the caller looked: its block is in memory (and may not be in
    // the cache yet, which is written after the fetch's waiters are served).
    if (auto recent = recent_index_.find(name); recent != recent_index_.end()) {
      ++stats_.recent_hits;
      MarkReadLocked(*recent->second);
      return recent->second->block;
    }
    auto it = flights_.find(name);
    if (it == flights_.end()) {
      flight = std::make_shared<Flight>();
      flights_.emplace(name, flight);
    } else {
      flight = it->second;
      ++stats_.shared;
      if (for_reader) ++stats_.misses;
      flight->fetched.wait(lock, [&] { return flight->done; });
      if (!flight->status.ok()) return flight->status;
      return flight->block;
    }
  }
  // A block fetched long enough ago to have left memory is in the cache (checked without a
  // buffer or a counted miss: on this path the block is usually absent).
  Result<Block> got = Status::NotFound("");
  bool from_cache = false;
  if (cache_.Contains(KeyOf(object, index))) {
    const uint64_t length = BlockLength(object, index);
    std::shared_ptr<char[]> cached = std::make_shared_for_overwrite<char[]>(length);
    auto n = cache_.Read(KeyOf(object, index), 0, std::span<char>(cached.get(), length));
    from_cache = n.ok() && *n == length;
    if (from_cache) got = Block{cached, std::string_view(cached.get(), length)};
  }
  Result<std::vector<Block>> fetched = std::vector<Block>{};
  if (!from_cache) {
    if (for_reader) {
      std::lock_guard lock(mu_);
      ++stats_.misses;
    }
    fetched = FetchFromStore(object, index, 1);
    got = fetched.ok() ? Result<Block>(fetched->front()) : Result<Block>(fetched.status());
  }
  Complete(name, flight, got, !from_cache);
  // The waiting readers go first; the cache write is not theirs to wait for.
  if (fetched.ok()) Keep(object, index, *fetched);
  return got;
}

Status BlockReader::LoadRun(const ObjectVersion& object, uint64_t first, uint64_t count) {
  const uint64_t blocks = (object.size + block_size_ - 1) / block_size_;
  const uint64_t end = std::min(blocks, first + count);
  // The blocks to fetch: neither cached nor being fetched, claimed as flights of ours.
  std::vector<std::pair<uint64_t, std::shared_ptr<Flight>>> claimed;
  for (uint64_t i = first; i < end; ++i) {
    if (cache_.Prepare(KeyOf(object, i))) continue;
    std::string name = cache::BlockFileName(KeyOf(object, i));
    std::lock_guard lock(mu_);
    if (recent_index_.contains(name)) continue;  // just fetched: in memory, on its way in
    auto [it, inserted] = flights_.try_emplace(std::move(name), std::make_shared<Flight>());
    if (inserted) claimed.emplace_back(i, it->second);
  }
  Status result;
  for (size_t a = 0; a < claimed.size();) {
    size_t b = a + 1;  // [a, b): a run of consecutive block indexes
    while (b < claimed.size() && claimed[b].first == claimed[b - 1].first + 1) ++b;
    auto fetched = FetchFromStore(object, claimed[a].first, b - a);
    if (!fetched.ok()) result = fetched.status();
    for (size_t k = a; k < b; ++k) {
      const std::string name = cache::BlockFileName(KeyOf(object, claimed[k].first));
      Complete(name, claimed[k].second,
               fetched.ok() ? Result<Block>((*fetched)[k - a]) : Result<Block>(fetched.status()),
               true);
    }
    if (fetched.ok()) Keep(object, claimed[a].first, *fetched);
    a = b;
  }
  return result;
}

Result<size_t> BlockReader::Read(const ObjectVersion& object, uint64_t offset,
                                 std::span<char> out) {
  FERRY_ASSIGN_OR_RETURN(Slices slices, ReadSlices(object, offset, out.size()));
  size_t copied = 0;
  for (std::string_view part : slices.parts) {
    std::memcpy(out.data() + copied, part.data(), part.size());
    copied += part.size();
  }
  return copied;
}

Result<BlockReader::Slices> BlockReader::ReadSlices(const ObjectVersion& object, uint64_t offset,
                                                    size_t size) {
  Slices slices;
  if (offset >= object.size || size == 0) return slices;
  const size_t total = static_cast<size_t>(std::min<uint64_t>(size, object.size - offset));
  while (slices.size < total) {
    const uint64_t pos = offset + slices.size;
    const uint64_t index = pos / block_size_;
    const uint64_t in_block = pos - index * block_size_;
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(total - slices.size, block_size_ - in_block));
    const cache::BlockKey key = KeyOf(object, index);
    std::optional<Block> block = Recent(cache::BlockFileName(key));
    size_t start = static_cast<size_t>(in_block);  // where the wanted bytes begin in block
    if (block && in_block + want <= block->bytes.size()) {
      // Fetched a moment ago (read-ahead): no file read.
      std::lock_guard lock(mu_);
      ++stats_.recent_hits;
    } else {
      std::shared_ptr<char[]> buffer = Buffer(want);
      auto hit = cache_.Read(key, in_block, std::span<char>(buffer.get(), want));
      if (hit.ok() && *hit == want) {
        block = Block{buffer, std::string_view(buffer.get(), want)};
        start = 0;
        std::lock_guard lock(mu_);
        ++stats_.cache_hits;
      } else {
        FERRY_ASSIGN_OR_RETURN(block, Fetch(object, index, /*for_reader=*/true));
      }
    }
    if (start + want > block->bytes.size()) {
      return Status::Internal("block " + std::to_string(index) + " of " + object.key +
                              " is shorter than expected");
    }
    slices.parts.push_back(block->bytes.substr(start, want));
    slices.holders.push_back(std::move(block->buffer));
    slices.size += want;
  }
  return slices;
}

Status BlockReader::Load(const ObjectVersion& object, uint64_t index) {
  if (index * block_size_ >= object.size) return Status::OK();
  const cache::BlockKey key = KeyOf(object, index);
  if (cache_.Prepare(key)) return Status::OK();
  FERRY_ASSIGN_OR_RETURN(Block block, Fetch(object, index));
  // Served from memory (fetched a moment ago, or since released from the cache): the cache
  // gets it now, since a preload is asked for there.
  if (!cache_.Contains(key)) (void)cache_.Put(key, block.bytes, block.crc32c);
  return Status::OK();
}

bool BlockReader::Cached(const ObjectVersion& object, uint64_t index) {
  return cache_.Contains(KeyOf(object, index));
}

Result<ObjectMeta> BlockReader::ReadSmallObject(const ObjectVersion& object) {
  auto read = ReadSmallObjectOnce(object);
  if (read.ok() || !archived_ || !IsArchivedRefusal(read.status())) return read;
  FERRY_RETURN_IF_ERROR(archived_->Handle(object.bucket, object.key));
  return ReadSmallObjectOnce(object);
}

Result<ObjectMeta> BlockReader::ReadSmallObjectOnce(const ObjectVersion& object) {
  OpenHints hints;
  hints.size = object.size;  // no ETag: the current version, with its metadata
  FERRY_ASSIGN_OR_RETURN(auto reader, store_.OpenObject(object.bucket, object.key, hints));
  ObjectMeta meta = reader->meta();
  if (meta.size > block_size_) return meta;  // grew since the listing: blocks are read later
  const size_t size = static_cast<size_t>(meta.size);
  std::shared_ptr<char[]> data = Buffer(size);
  FERRY_RETURN_IF_ERROR(ReadFull(*reader, 0, std::span<char>(data.get(), size), object.bucket));
  std::shared_ptr<const char[]> buffer = std::move(data);
  const cache::BlockKey key = KeyOf({object.bucket, object.key, meta.etag, meta.size}, 0);
  (void)cache_.Put(key, std::string_view(buffer.get(), size));
  std::lock_guard lock(mu_);
  ++stats_.fetches;
  stats_.fetched_bytes += meta.size;
  // The file is about to be read: from memory, not from the cache file.
  RememberLocked(cache::BlockFileName(key), Block{buffer, std::string_view(buffer.get(), size)},
                 /*unread=*/true);
  return meta;
}

BlockReaderStats BlockReader::stats() {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace ferry::fs
