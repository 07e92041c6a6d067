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

uint64_t SegmentSizeFor(const BlockCacheOptions& o) {
  uint64_t size = o.segment_bytes;
  if (size == 0) {
    size = std::max(o.capacity_bytes / 64, kMinSegmentBytes);
    size = std::min(size, o.capacity_bytes / 2);
  }
  // Never more than 1024 segments (two descriptors each).
  size = std::max(size, o.capacity_bytes / 1024);
  return std::max<uint64_t>(size / kSegmentAlign * kSegmentAlign, kSegmentAlign);
}

}  // namespace

BlockCache::BlockCache(BlockCacheOptions options, uint64_t segment_bytes, size_t segment_count)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &SystemClock()),
      segment_bytes_(segment_bytes),
      segments_(segment_count),
      batch_buffers_(BufferPool::Create(4 * kBatchBytes)) {
  stats_.capacity_bytes = options_.capacity_bytes;
}

BlockCache::~BlockCache() {
  // No Put runs any more: the open batch has every entry copied in.
  if (batch_ && batch_->copying == 0) WriteBatch(batch_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock
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
  --segments_[batch->segment].pins;
}

Result<std::unique_ptr<BlockCache>> BlockCache::Open(const BlockCacheOptions& options) {
  if (options.dir.empty()) return Status::InvalidArgument("cache: no directory");
  const uint64_t segment_bytes = SegmentSizeFor(options);
  const uint64_t count = options.capacity_bytes / segment_bytes;
  if (count == 0) {
    return Status::InvalidArgument("cache: a capacity of " +
                                   std::to_string(options.capacity_bytes) + " bytes is too small");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.dir + "/segments", ec);
  if (ec) return Status::IOError(options.dir + ": " + ec.message());
  std::unique_ptr<BlockCache> cache(
      new BlockCache(options, segment_bytes, static_cast<size_t>(count)));
  FERRY_RETURN_IF_ERROR(cache->Lock());
  FERRY_RETURN_IF_ERROR(cache->Scan());
  return cache;
}

Status BlockCache::Lock() {
  const std::string path = options_.dir + "/lock";
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) return Status::FromErrno(path, errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::Unavailable("cache directory " + options_.dir +
                                 " is in use by another ferry process (give each its own)");
    }
    return Status::FromErrno(path, errno);
  }
  return Status::OK();
}

std::string BlockCache::SegmentPath(size_t index) const {
  char name[16];
  std::snprintf(name, sizeof name, "%06zu", index);
  return options_.dir + "/segments/" + name;
}

Status BlockCache::Scan() {
  namespace fs = std::filesystem;
  std::error_code ec;
  // The layout of earlier versions (a file per block) is not read: those blocks are dropped.
  fs::remove_all(options_.dir + "/blocks", ec);
  fs::remove_all(options_.dir + "/tmp", ec);
  // Segments beyond the current count (the capacity shrank) or of another size go.
  for (const auto& e : fs::directory_iterator(options_.dir + "/segments", ec)) {
    const std::string name = e.path().filename().string();
    char* end = nullptr;
    const unsigned long index = std::strtoul(name.c_str(), &end, 10);
    std::error_code size_ec;
    if (name.size() != 6 || *end != '\0' || index >= segments_.size() ||
        fs::file_size(e.path(), size_ec) != segment_bytes_) {
      fs::remove(e.path(), size_ec);
    }
  }
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (!fs::exists(SegmentPath(i), ec)) continue;
    FERRY_RETURN_IF_ERROR(OpenSegmentLocked(i));
    Segment& seg = segments_[i];
    seg.last_access_ns = seg.last_touch_ns = seg.file->mtime_ns();
    seg.fill = seg.file->Scan([&](uint64_t offset, BlockHeader&& h) {
      const std::string name = BlockFileName(h.key);
      if (entries_.contains(name)) return;  // an older copy
      Entry e;
      e.segment = static_cast<uint32_t>(i);
      e.offset = offset;
      e.data_length = h.data_length;
      e.header_length = h.header_length;
      e.disk_bytes = EntryBytes(h.header_length, h.data_length);
      e.last_access_ns = seg.last_access_ns;
      e.ready = true;
      e.key = std::move(h.key);
      seg.live_bytes += e.disk_bytes;
      used_ += e.disk_bytes;
      seg.names.push_back(name);
      by_object_[e.key.object].insert(name);
      entries_.emplace(name, std::move(e));
    });
    if (seg.live_bytes == 0 && seg.fill > 0) {
      seg.fill = 0;
      FERRY_RETURN_IF_ERROR(seg.file->Reset());
    }
  }
  return Status::OK();
}

Status BlockCache::OpenSegmentLocked(size_t index) {
  Segment& seg = segments_[index];
  if (seg.file) return Status::OK();
  FERRY_ASSIGN_OR_RETURN(seg.file, SegmentFile::Open(SegmentPath(index), segment_bytes_));
  return Status::OK();
}

void BlockCache::RemoveLocked(const std::string& name, bool free_space) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  const Entry& e = it->second;
  Segment& seg = segments_[e.segment];
  seg.live_bytes -= e.disk_bytes;
  used_ -= e.disk_bytes;
  if (free_space && seg.file) seg.file->Free(e.offset, e.disk_bytes);
  auto obj = by_object_.find(e.key.object);
  if (obj != by_object_.end()) {
    obj->second.erase(name);
    if (obj->second.empty()) by_object_.erase(obj);
  }
  entries_.erase(it);
}

std::optional<std::pair<size_t, uint64_t>> BlockCache::ReserveLocked(uint64_t bytes) {
  if (bytes > segment_bytes_) return std::nullopt;
  if (appending_ && segments_[*appending_].fill + bytes <= segment_bytes_) {
    Segment& seg = segments_[*appending_];
    const uint64_t offset = seg.fill;
    seg.fill += bytes;
    return std::make_pair(*appending_, offset);
  }
  // The segment being appended to is full: its open batch is written now (when no entry is
  // being copied in), so the segment can be chosen again once it is the least recent.
  if (batch_ && batch_->copying == 0) {
    const Status st = segments_[batch_->segment].file->WriteEntries(
        batch_->base, std::string_view(batch_->bytes.get(), batch_->reserved));
    FinishBatchLocked(batch_, st);
    batch_.reset();
  }
  // The next segment to append to: an empty one, else the least recently used one no reader
  // holds, emptied.
  std::optional<size_t> pick;
  for (size_t i = 0; i < segments_.size() && !pick; ++i) {
    if (segments_[i].fill == 0) pick = i;
  }
  if (!pick) {
    for (size_t i = 0; i < segments_.size(); ++i) {
      const Segment& s = segments_[i];
      if (s.pins > 0) continue;
      if (!pick) {
        pick = i;
        continue;
      }
      const Segment& best = segments_[*pick];
      // A segment without blocks (all released) goes before any with some.
      if ((s.live_bytes == 0) != (best.live_bytes == 0)) {
        if (s.live_bytes == 0) pick = i;
      } else if (s.last_access_ns < best.last_access_ns) {
        pick = i;
      }
    }
    if (!pick) return std::nullopt;
    Segment& victim = segments_[*pick];
    for (const auto& name : victim.names) {
      auto it = entries_.find(name);
      if (it == entries_.end() || it->second.segment != *pick) continue;
      RemoveLocked(name, false);
      ++stats_.evicted;
    }
    victim.names.clear();
    victim.fill = 0;
    if (victim.file && !victim.file->Reset().ok()) return std::nullopt;
  }
  if (!OpenSegmentLocked(*pick).ok()) return std::nullopt;
  appending_ = pick;
  Segment& seg = segments_[*pick];
  seg.last_access_ns = seg.last_touch_ns = Now();
  seg.fill = bytes;
  return std::make_pair(*pick, uint64_t{0});
}

void BlockCache::Unpin(const std::string& name, bool drop) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  --segments_[it->second.segment].pins;
  if (--it->second.pins == 0 && drop) {
    RemoveLocked(name, true);
    ++stats_.dropped;
  }
}

bool BlockCache::Prepare(const BlockKey& key) {
  return Contains(key) && Read(key, 0, std::span<char>()).ok();  // no miss counted
}

bool BlockCache::Contains(const BlockKey& key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(BlockFileName(key));
  return it != entries_.end() && it->second.ready && it->second.key == key;
}

Result<size_t> BlockCache::Read(const BlockKey& key, uint64_t offset, std::span<char> out) {
  const std::string name = BlockFileName(key);
  Entry snapshot;
  SegmentFile* file = nullptr;
  bool touch = false;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end() || !it->second.ready || !(it->second.key == key)) {
      if (!out.empty() && key.index != kMetadataIndex) ++stats_.misses;
      return Status::NotFound("block not cached");
    }
    Entry& e = it->second;
    Segment& seg = segments_[e.segment];
    ++e.pins;
    ++seg.pins;
    e.last_access_ns = seg.last_access_ns = Now();
    touch = seg.last_access_ns - seg.last_touch_ns >
            std::chrono::nanoseconds(options_.touch_interval).count();
    if (touch) seg.last_touch_ns = seg.last_access_ns;
    snapshot = e;
    file = seg.file.get();  // stays while the entry is pinned
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
  Unpin(name, corrupt);
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
  uint64_t offset = 0;
  std::shared_ptr<Batch> batch, to_write;
  uint64_t in_batch = 0;
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(name); it != entries_.end()) {
      if (it->second.key == key) return Status::OK();  // present or being written
      if (it->second.pins > 0) return Status::ResourceExhausted("cache: slot busy");
      RemoveLocked(name, true);  // a hash collision: the newer block wins
    }
    auto place = ReserveLocked(disk_bytes);
    if (!place) {
      ++stats_.refused;
      return Status::ResourceExhausted("cache full of blocks in use");
    }
    Segment& seg = segments_[place->first];
    Entry e;
    e.key = key;
    e.segment = static_cast<uint32_t>(place->first);
    e.offset = offset = place->second;
    e.disk_bytes = disk_bytes;
    e.data_length = static_cast<uint32_t>(data.size());
    e.header_length = static_cast<uint32_t>(header.size());
    e.last_access_ns = seg.last_access_ns = Now();
    e.pins = 1;  // the writer's, until the entry is complete
    ++seg.pins;
    e.verified = true;
    if (disk_bytes <= kBatchEntryMax) {
      std::tie(batch, in_batch) = BatchPlaceLocked(place->first, offset, disk_bytes, &to_write);
      if (batch) batch->names.push_back(name);
      e.batch = batch;
    }
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
    bytes += entries_.at(name).data_length;
    RemoveLocked(name, true);
  }
  return bytes;
}

uint64_t BlockCache::Release(std::string_view object, int64_t older_than_ns) {
  std::lock_guard lock(mu_);
  auto obj = by_object_.find(std::string(object));
  if (obj == by_object_.end()) return 0;
  std::vector<std::string> names(obj->second.begin(), obj->second.end());
  uint64_t bytes = 0;
  for (const auto& name : names) {
    const Entry& e = entries_.at(name);
    if (!e.ready || e.pins > 0 || e.last_access_ns >= older_than_ns) continue;
    bytes += e.data_length;
    RemoveLocked(name, true);
  }
  return bytes;
}

uint64_t BlockCache::ReleaseOlderThan(int64_t t_ns) {
  std::lock_guard lock(mu_);
  return ReleaseWhereLocked([t_ns](const Entry& e) { return e.last_access_ns < t_ns; });
}

uint64_t BlockCache::CachedBytes(std::string_view object, std::string_view etag) {
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
