#include "fs/block_reader.h"

#include <algorithm>
#include <cstring>

namespace ferry::fs {

BlockReader::BlockReader(ObjectStore& store, cache::BlockCache& cache, uint64_t block_size)
    : store_(store), cache_(cache), block_size_(std::max<uint64_t>(block_size, 1)) {}

cache::BlockKey BlockReader::KeyOf(const ObjectVersion& object, uint64_t index) const {
  return {object.bucket + "/" + object.key, object.etag, index};
}

Result<BlockReader::Block> BlockReader::FetchFromStore(const ObjectVersion& object,
                                                       uint64_t index) {
  const uint64_t start = index * block_size_;
  const uint64_t length = std::min<uint64_t>(block_size_, object.size - start);
  OpenHints hints;
  hints.size = object.size;
  hints.etag = object.etag;
  FERRY_ASSIGN_OR_RETURN(auto reader, store_.OpenObject(object.bucket, object.key, hints));
  auto data = std::make_shared<std::string>(static_cast<size_t>(length), '\0');
  for (uint64_t done = 0; done < length;) {
    FERRY_ASSIGN_OR_RETURN(
        size_t n,
        reader->ReadAt(start + done, std::span<char>(data->data() + done, length - done)));
    if (n == 0) {
      return Status::Unavailable("s3://" + object.bucket + "/" + object.key + ": ended at " +
                                 std::to_string(start + done) + " of " +
                                 std::to_string(object.size) + " bytes");
    }
    done += n;
  }
  // A full cache (its space held by readers) only means this block is not kept.
  (void)cache_.Put(KeyOf(object, index), *data);
  return Block(std::move(data));
}

Result<BlockReader::Block> BlockReader::Fetch(const ObjectVersion& object, uint64_t index) {
  const std::string name = cache::BlockFileName(KeyOf(object, index));
  std::shared_ptr<Flight> flight;
  {
    std::unique_lock lock(mu_);
    auto it = flights_.find(name);
    if (it == flights_.end()) {
      flight = std::make_shared<Flight>();
      flights_.emplace(name, flight);
    } else {
      flight = it->second;
      ++stats_.shared;
      fetched_.wait(lock, [&] { return flight->done; });
      if (!flight->status.ok()) return flight->status;
      return flight->block;
    }
  }
  // A fetch that ended just before this one began has put the block in the cache (checked
  // without a buffer or a counted miss: on this path the block is usually absent).
  Result<Block> got = Status::NotFound("");
  bool from_cache = false;
  if (cache_.Contains(KeyOf(object, index))) {
    const uint64_t length = std::min<uint64_t>(block_size_, object.size - index * block_size_);
    auto cached = std::make_shared<std::string>(static_cast<size_t>(length), '\0');
    auto n = cache_.Read(KeyOf(object, index), 0, std::span<char>(*cached));
    from_cache = n.ok() && *n == length;
    if (from_cache) got = Block(std::move(cached));
  }
  if (!from_cache) got = FetchFromStore(object, index);
  std::lock_guard lock(mu_);
  flight->done = true;
  if (got.ok()) {
    flight->block = *got;
    if (!from_cache) {
      ++stats_.fetches;
      stats_.fetched_bytes += (*got)->size();
    }
  } else {
    flight->status = got.status();
  }
  flights_.erase(name);
  fetched_.notify_all();
  return got;
}

Result<size_t> BlockReader::Read(const ObjectVersion& object, uint64_t offset,
                                 std::span<char> out) {
  if (offset >= object.size || out.empty()) return size_t{0};
  const size_t total = static_cast<size_t>(std::min<uint64_t>(out.size(), object.size - offset));
  size_t copied = 0;
  while (copied < total) {
    const uint64_t pos = offset + copied;
    const uint64_t index = pos / block_size_;
    const uint64_t in_block = pos - index * block_size_;
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(total - copied, block_size_ - in_block));
    std::span<char> dst(out.data() + copied, want);
    auto hit = cache_.Read(KeyOf(object, index), in_block, dst);
    if (hit.ok() && *hit == want) {
      std::lock_guard lock(mu_);
      ++stats_.cache_hits;
    } else {
      FERRY_ASSIGN_OR_RETURN(Block block, Fetch(object, index));
      if (in_block + want > block->size()) {
        return Status::Internal("block " + std::to_string(index) + " of " + object.key +
                                " is shorter than expected");
      }
      std::memcpy(dst.data(), block->data() + in_block, want);
    }
    copied += want;
  }
  return total;
}

Status BlockReader::Load(const ObjectVersion& object, uint64_t index) {
  if (index * block_size_ >= object.size) return Status::OK();
  if (cache_.Prepare(KeyOf(object, index))) return Status::OK();
  return Fetch(object, index).status();
}

bool BlockReader::Cached(const ObjectVersion& object, uint64_t index) {
  return cache_.Contains(KeyOf(object, index));
}

Result<ObjectMeta> BlockReader::ReadSmallObject(const ObjectVersion& object) {
  OpenHints hints;
  hints.size = object.size;  // no ETag: the current version, with its metadata
  FERRY_ASSIGN_OR_RETURN(auto reader, store_.OpenObject(object.bucket, object.key, hints));
  ObjectMeta meta = reader->meta();
  if (meta.size > block_size_) return meta;  // grew since the listing: blocks are read later
  std::string data(static_cast<size_t>(meta.size), '\0');
  for (uint64_t done = 0; done < meta.size;) {
    FERRY_ASSIGN_OR_RETURN(
        size_t n, reader->ReadAt(done, std::span<char>(data.data() + done, meta.size - done)));
    if (n == 0) {
      return Status::Unavailable("s3://" + object.bucket + "/" + object.key + ": ended at " +
                                 std::to_string(done) + " of " + std::to_string(meta.size) +
                                 " bytes");
    }
    done += n;
  }
  (void)cache_.Put(KeyOf({object.bucket, object.key, meta.etag, meta.size}, 0), data);
  std::lock_guard lock(mu_);
  ++stats_.fetches;
  stats_.fetched_bytes += meta.size;
  return meta;
}

BlockReaderStats BlockReader::stats() {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace ferry::fs
