#include "cache/block_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <tuple>

#include "core/checksum.h"

namespace ferry::cache {
namespace {

constexpr uint64_t kMinSegmentBytes = 4 << 20;
constexpr uint64_t kBatchBytes = 2 << 20;
constexpr uint64_t kBatchEntryMax = 256 << 10;  // larger entries are written on their own

uint64_t SegmentSizeFor(const BlockCacheOptions& o, uint64_t capacity) {
  uint64_t size = o.segment_bytes;
  if (size == 0) {
    size = std::max(capacity / 64, kMinSegmentBytes);
    size = std::min(size, capacity / 2);
  }
  // Never more than 1024 segments (two descriptors each).
  size = std::max(size, capacity / 1024);
  return std::max<uint64_t>(size / kSegmentAlign * kSegmentAlign, kSegmentAlign);
}

// The segments and the table together stay within the capacity.
SegmentGeometry GeometryFor(const BlockCacheOptions& o) {
  const uint64_t guess = o.capacity_bytes / SegmentSizeFor(o, o.capacity_bytes);
  const uint64_t table = std::min(o.capacity_bytes, SegmentTable::FileBytes(guess));
  const uint64_t size = SegmentSizeFor(o, o.capacity_bytes - table);
  uint64_t count = (o.capacity_bytes - table) / size;
  while (count > 0 && count * size + SegmentTable::FileBytes(count) > o.capacity_bytes) --count;
  return {size, count, o.capacity_bytes};
}

}  // namespace

BlockCache::BlockCache(BlockCacheOptions options, std::unique_ptr<SegmentTable> table)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &SystemClock()),
      table_(std::move(table)),
      segment_bytes_(table_->geometry().segment_bytes),
      segments_(table_->geometry().segment_count),
      batch_buffers_(BufferPool::Create(4 * kBatchBytes)) {
  stats_.capacity_bytes = table_->geometry().capacity_bytes;
}

BlockCache::~BlockCache() {
  if (flusher_.joinable()) {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    flush_cv_.notify_all();
    flusher_.join();
  }
  // No Put runs any more: the open batch has every entry copied in.
  if (batch_ && batch_->copying == 0) WriteBatch(batch_);
  // What was written is left for the other processes to index; closing the segment files
  // gives back the leases and locks.
  std::lock_guard lock(mu_);
  appending_.reset();
  for (size_t i = 0; i < segments_.size(); ++i) PublishLocked(i);
}

std::pair<std::shared_ptr<BlockCache::Batch>, uint64_t> BlockCache::BatchPlaceLocked(
    size_t segment, uint64_t offset, uint64_t bytes, std::shared_ptr<Batch>* to_write) {
  if (batch_ && (batch_->segment != segment || batch_->base + batch_->reserved != offset ||
                 batch_->reserved + bytes > kBatchBytes)) {
    batch_->sealed = true;
    if (batch_->copying == 0) *to_write = batch_;
    batch_.reset();
  }
  if (!batch_) {
    std::shared_ptr<char[]> bytes = batch_buffers_->Get(kBatchBytes);
    if (!bytes) return {nullptr, 0};
    batch_ = std::make_shared<Batch>();
    batch_->segment = static_cast<uint32_t>(segment);
    batch_->base = offset;
    batch_->bytes = std::move(bytes);
    ++segments_[segment].pins;  // not reused before the batch is written
    segments_[segment].writing.insert(offset);
  }
  std::shared_ptr<Batch> batch = batch_;
  const uint64_t at = batch->reserved;
  batch->reserved += bytes;
  ++batch->copying;
  if (batch->reserved + 2 * kSegmentAlign > kBatchBytes) {  // full: the last copier writes it
    batch->sealed = true;
    batch_.reset();
  }
  return {batch, at};
}

void BlockCache::WriteBatch(const std::shared_ptr<Batch>& batch) {
  SegmentFile* file;
  {
    std::lock_guard lock(mu_);
    file = segments_[batch->segment].file.get();
  }
  const Status st =
      file->WriteEntries(batch->base, std::string_view(batch->bytes.get(), batch->reserved));
  std::lock_guard lock(mu_);
  FinishBatchLocked(batch, st);
}

void BlockCache::Flush() {
  std::shared_ptr<Batch> to_write;
  {
    std::lock_guard lock(mu_);
    if (!batch_) return;
    batch_->sealed = true;
    if (batch_->copying == 0) to_write = batch_;  // else its last copier writes it
    batch_.reset();
  }
  if (to_write) WriteBatch(to_write);
}

void BlockCache::FlushOldBatches() {
  const auto interval = options_.flush_interval;
  std::unique_lock lock(mu_);
  while (!closing_) {
    flush_cv_.wait_for(lock, interval);
    if (closing_ || !batch_ || std::chrono::steady_clock::now() - batch_->opened < interval) {
      continue;
    }
    lock.unlock();
    Flush();
    lock.lock();
  }
}

void BlockCache::FinishBatchLocked(const std::shared_ptr<Batch>& batch, const Status& written) {
  for (const auto& name : batch->names) {
    auto it = entries_.find(name);
    if (it == entries_.end() || it->second.batch != batch) continue;
    it->second.batch.reset();
    if (written.ok()) continue;
    // Not on disk: a reader holding the entry checks it (and drops it) on its next read.
    if (it->second.pins == 0) {
      RemoveLocked(name, false);
    } else {
      it->second.verified = false;
    }
  }
  Segment& seg = segments_[batch->segment];
  for (const auto& [offset, bytes] : batch->dropped) seg.file->Free(offset, bytes);
  --seg.pins;
  seg.writing.erase(batch->base);
  PublishLocked(batch->segment);
}

Result<std::unique_ptr<BlockCache>> BlockCache::Open(const BlockCacheOptions& options) {
  if (options.dir.empty()) return Status::InvalidArgument("cache: no directory");
  const SegmentGeometry wanted = GeometryFor(options);
  if (wanted.segment_count == 0) {
    return Status::InvalidArgument("cache: a capacity of " +
                                   std::to_string(options.capacity_bytes) + " bytes is too small");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir + "/segments", ec);
  if (ec) return Status::IOError(options.dir + ": " + ec.message());
  FERRY_ASSIGN_OR_RETURN(auto table, SegmentTable::Open(options.dir, wanted));
  SegmentTable* shared = table.get();
  std::unique_ptr<BlockCache> cache(new BlockCache(options, std::move(table)));
  if (shared->sole()) {
    FERRY_RETURN_IF_ERROR(cache->Rebuild());
  } else {
    cache->CatchUp();
    const SegmentGeometry& g = shared->geometry();
    if (!(g == wanted)) {
      char limit[32];
      std::snprintf(limit, sizeof limit, "%.1f MiB",
                    static_cast<double>(g.capacity_bytes) / (1 << 20));
      cache->shared_limit_note_ = "cache directory " + options.dir +
                                  " is in use by another process with a limit of " + limit +
                                  ", which holds for all of them";
    }
  }
  shared->EndSetup();
  if (options.flush_interval.count() > 0) {
    cache->flusher_ = std::thread([c = cache.get()] { c->FlushOldBatches(); });
  }
  return cache;
}

BlockCache::Entry* BlockCache::PinForReadLocked(const std::string& name, const BlockKey& key) {
  auto it = entries_.find(name);
  if (it == entries_.end() || !it->second.ready || !(it->second.key == key)) return nullptr;
  Entry& e = it->second;
  Segment& seg = segments_[e.segment];
  if (!e.range_locked && !e.batch) {
    // Refused while another process drops the entry or empties its segment.
    if (!seg.file->TryLock(e.offset, e.disk_bytes, /*exclusive=*/false)) return nullptr;
    e.range_locked = true;
  }
  ++e.pins;
  ++seg.pins;
  return &e;
}

void BlockCache::UnpinLocked(Entry& e, Segment& seg) {
  --seg.pins;
  if (--e.pins == 0 && e.range_locked) {
    seg.file->Unlock(e.offset, e.disk_bytes);
    e.range_locked = false;
  }
}

void BlockCache::Unpin(const std::string& name, Unpinned then) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  UnpinLocked(it->second, segments_[it->second.segment]);
  if (it->second.pins > 0 || then == Unpinned::kKeep) return;
  if (then == Unpinned::kDrop) {
    if (!DropLocked(name)) RemoveLocked(name, false);  // read by another: it checks it too
    ++stats_.dropped;
  } else {
    RemoveLocked(name, false);
  }
}

bool BlockCache::StillThere(const Entry& snapshot, SegmentFile& file) {
  if (table_->epoch(snapshot.segment) != snapshot.epoch) return false;  // emptied since
  std::string header(snapshot.header_length, '\0');
  auto n = file.Read(snapshot.offset, std::span<char>(header));
  if (!n.ok()) return false;
  auto decoded = DecodeBlockHeader(std::string_view(header.data(), *n));
  return decoded && decoded->key == snapshot.key && decoded->data_length == snapshot.data_length &&
         decoded->header_length == snapshot.header_length;
}

bool BlockCache::Prepare(const BlockKey& key) {
  return Contains(key) && Read(key, 0, std::span<char>()).ok();  // no miss counted
}

bool BlockCache::Contains(const BlockKey& key) {
  const std::string name = BlockFileName(key);
  auto present = [&] {
    std::lock_guard lock(mu_);
    auto it = entries_.find(name);
    return it != entries_.end() && it->second.ready && it->second.key == key;
  };
  return present() || (CatchUp() && present());
}

Result<size_t> BlockCache::Read(const BlockKey& key, uint64_t offset, std::span<char> out) {
  const std::string name = BlockFileName(key);
  const bool counted = !out.empty() && key.index != kMetadataIndex;
  Entry snapshot;
  SegmentFile* file = nullptr;
  bool touch = false;
  uint64_t changes = 0;
  auto pin = [&]() -> bool {
    std::lock_guard lock(mu_);
    Entry* e = PinForReadLocked(name, key);
    if (!e) return false;
    Segment& seg = segments_[e->segment];
    e->last_access_ns = Now();
    table_->note_access(e->segment, e->last_access_ns);
    touch = e->last_access_ns - seg.last_touch_ns >
            std::chrono::nanoseconds(options_.touch_interval).count();
    if (touch) seg.last_touch_ns = e->last_access_ns;
    changes = table_->changes(e->segment);
    snapshot = *e;
    file = seg.file.get();  // stays while the entry is pinned
    return true;
  };
  // Absent from the index: perhaps another process cached it since the last look.
  if (!pin() && !(CatchUp() && pin())) {
    std::lock_guard lock(mu_);
    if (counted) ++stats_.misses;
    return Status::NotFound("block not cached");
  }
  if (!snapshot.batch && snapshot.changes != changes) {
    // Another process dropped entries of this segment since the entry was checked.
    if (!StillThere(snapshot, *file)) {
      Unpin(name, Unpinned::kForget);
      std::lock_guard lock(mu_);
      if (counted) ++stats_.misses;
      return Status::NotFound("block dropped by another process");
    }
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(name); it != entries_.end()) it->second.changes = changes;
  }
  bool corrupt = false;
  auto read = [&]() -> Result<size_t> {
    if (snapshot.batch) {  // not written yet: from the batch's memory
      if (out.empty() || offset >= snapshot.data_length) return size_t{0};
      const size_t want =
          static_cast<size_t>(std::min<uint64_t>(out.size(), snapshot.data_length - offset));
      const char* data = snapshot.batch->bytes.get() + (snapshot.offset - snapshot.batch->base) +
                         AlignUp(snapshot.header_length);
      std::memcpy(out.data(), data + offset, want);
      return want;
    }
    if (!snapshot.verified) {
      std::string data(snapshot.data_length, '\0');
      FERRY_ASSIGN_OR_RETURN(size_t n, file->Read(DataOffset(snapshot), std::span<char>(data)));
      std::string header(snapshot.header_length, '\0');
      FERRY_ASSIGN_OR_RETURN(size_t h, file->Read(snapshot.offset, std::span<char>(header)));
      auto decoded = DecodeBlockHeader(std::string_view(header.data(), h));
      if (n != data.size() || !decoded || !(decoded->key == key) ||
          decoded->data_crc32c != Crc32c(0, std::span<const char>(data.data(), data.size()))) {
        corrupt = true;
        return Status::NotFound(file->path() + ": corrupt block dropped");
      }
      std::lock_guard lock(mu_);
      if (auto it = entries_.find(name); it != entries_.end()) it->second.verified = true;
    }
    if (out.empty()) {
      // Prepare: a verified block is read ahead by the kernel.
      if (snapshot.verified) file->WillNeed(DataOffset(snapshot), snapshot.data_length);
      return size_t{0};
    }
    if (offset >= snapshot.data_length) return size_t{0};
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(out.size(), snapshot.data_length - offset));
    return file->Read(DataOffset(snapshot) + offset, out.first(want));
  };
  Result<size_t> n = read();
  if (n.ok() && touch) file->Touch();
  Unpin(name, corrupt ? Unpinned::kDrop : Unpinned::kKeep);
  std::lock_guard lock(mu_);
  if (out.empty() || key.index == kMetadataIndex) {
    // Prepare counts neither (a corrupt block was counted as dropped), nor does metadata.
  } else if (n.ok()) {
    ++stats_.hits;
  } else {
    ++stats_.misses;
  }
  return n;
}

Status BlockCache::Put(const BlockKey& key, std::string_view data,
                       std::optional<uint32_t> data_crc32c) {
  const std::string name = BlockFileName(key);
  const std::string header = EncodeBlockHeader(key, data, data_crc32c);
  const uint64_t disk_bytes = EntryBytes(header.size(), data.size());
  SegmentFile* file = nullptr;
  size_t segment = 0;
  uint64_t offset = 0;
  std::shared_ptr<Batch> batch, to_write;
  uint64_t in_batch = 0;
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(name); it != entries_.end()) {
      if (it->second.key == key) return Status::OK();  // present or being written
      // A hash collision: the newer block wins.
      if (it->second.pins > 0 || !DropLocked(name)) {
        return Status::ResourceExhausted("cache: slot busy");
      }
    }
    auto place = ReserveLocked(disk_bytes);
    if (!place) {
      ++stats_.refused;
      return Status::ResourceExhausted("cache full of blocks in use");
    }
    segment = place->first;
    Segment& seg = segments_[segment];
    Entry e;
    e.key = key;
    e.segment = static_cast<uint32_t>(place->first);
    e.offset = offset = place->second;
    e.disk_bytes = disk_bytes;
    e.data_length = static_cast<uint32_t>(data.size());
    e.header_length = static_cast<uint32_t>(header.size());
    e.last_access_ns = Now();
    e.pins = 1;  // the writer's, until the entry is complete
    ++seg.pins;
    e.verified = true;
    e.epoch = seg.epoch;
    e.changes = table_->changes(place->first);
    if (disk_bytes <= kBatchEntryMax) {
      std::tie(batch, in_batch) = BatchPlaceLocked(place->first, offset, disk_bytes, &to_write);
      if (batch) batch->names.push_back(name);
      e.batch = batch;
    }
    if (!batch) seg.writing.insert(offset);
    seg.live_bytes += disk_bytes;
    seg.names.push_back(name);
    used_ += disk_bytes;
    by_object_[key.object].insert(name);
    entries_.emplace(name, std::move(e));
    file = seg.file.get();
  }
  if (to_write) WriteBatch(to_write);
  to_write.reset();
  Status st;
  if (batch) {
    char* at = batch->bytes.get() + in_batch;
    const uint64_t data_at = AlignUp(header.size());
    std::memcpy(at, header.data(), header.size());
    std::memset(at + header.size(), 0, data_at - header.size());
    std::memcpy(at + data_at, data.data(), data.size());
    std::memset(at + data_at + data.size(), 0, disk_bytes - data_at - data.size());
  } else {
    // No fsync: an entry torn by a crash fails its checks and is dropped after the next open.
    st = file->Write(offset, header, data);
  }
  {
    std::lock_guard lock(mu_);
    if (batch && --batch->copying == 0 && batch->sealed) to_write = batch;
    auto it = entries_.find(name);
    if (it != entries_.end()) {
      --segments_[it->second.segment].pins;
      --it->second.pins;
      if (!st.ok()) {
        RemoveLocked(name, true);
      } else {
        it->second.ready = true;
        ++stats_.stored;
      }
    }
    if (!batch) {
      segments_[segment].writing.erase(offset);
      PublishLocked(segment);
    }
  }
  if (to_write) WriteBatch(to_write);
  return st;
}

uint64_t BlockCache::ReleaseWhereLocked(const std::function<bool(const Entry&)>& pred) {
  std::vector<std::string> names;
  for (const auto& [name, e] : entries_) {
    if (e.ready && e.pins == 0 && pred(e)) names.push_back(name);
  }
  uint64_t bytes = 0;
  for (const auto& name : names) {
    const uint64_t length = entries_.at(name).data_length;
    if (DropLocked(name)) bytes += length;  // else another process reads it right now
  }
  return bytes;
}

uint64_t BlockCache::Release(std::string_view object, int64_t older_than_ns) {
  CatchUp();  // blocks other processes cached go too
  std::lock_guard lock(mu_);
  auto obj = by_object_.find(std::string(object));
  if (obj == by_object_.end()) return 0;
  const std::vector<std::string> names(obj->second.begin(), obj->second.end());
  uint64_t bytes = 0;
  for (const auto& name : names) {
    const Entry& e = entries_.at(name);
    if (!e.ready || e.pins > 0 || e.last_access_ns >= older_than_ns) continue;
    const uint64_t length = e.data_length;
    if (DropLocked(name)) bytes += length;  // else another process reads it right now
  }
  return bytes;
}

uint64_t BlockCache::ReleaseOlderThan(int64_t t_ns) {
  CatchUp();
  std::lock_guard lock(mu_);
  return ReleaseWhereLocked([t_ns](const Entry& e) { return e.last_access_ns < t_ns; });
}

uint64_t BlockCache::CachedBytes(std::string_view object, std::string_view etag) {
  CatchUp();
  std::lock_guard lock(mu_);
  auto obj = by_object_.find(std::string(object));
  if (obj == by_object_.end()) return 0;
  uint64_t bytes = 0;
  for (const auto& name : obj->second) {
    const Entry& e = entries_.at(name);
    if (e.ready && e.key.etag == etag) bytes += e.data_length;
  }
  return bytes;
}

BlockCacheStats BlockCache::stats() {
  std::lock_guard lock(mu_);
  BlockCacheStats s = stats_;
  s.blocks =
      static_cast<uint64_t>(std::count_if(entries_.begin(), entries_.end(), [](const auto& e) {
        return e.second.key.index != kMetadataIndex;
      }));
  s.bytes_used = used_;
  s.segments = static_cast<uint64_t>(std::count_if(
      segments_.begin(), segments_.end(), [](const Segment& g) { return g.file != nullptr; }));
  return s;
}

}  // namespace ferry::cache
