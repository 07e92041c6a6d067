// The block cache's segments: which one takes the next entries, what the index holds of each
// and how it follows what other processes sharing the directory did to them.
#include <algorithm>
#include <filesystem>
#include <tuple>

#include "cache/block_cache.h"

namespace ferry::cache {

std::string BlockCache::SegmentPath(size_t index) const {
  char name[16];
  std::snprintf(name, sizeof name, "%06zu", index);
  return options_.dir + "/segments/" + name;
}

Status BlockCache::OpenSegmentLocked(size_t index) {
  Segment& seg = segments_[index];
  if (seg.file) return Status::OK();
  FERRY_ASSIGN_OR_RETURN(seg.file, SegmentFile::Open(SegmentPath(index), segment_bytes_));
  return Status::OK();
}

Status BlockCache::Rebuild() {
  namespace fs = std::filesystem;
  std::error_code ec;
  // The layout of earlier versions (a file per block) is not read: those blocks are dropped.
  fs::remove_all(options_.dir + "/blocks", ec);
  fs::remove_all(options_.dir + "/tmp", ec);
  fs::remove(options_.dir + "/lock", ec);
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
    Segment& seg = segments_[i];
    seg.epoch = table_->epoch(i);
    if (!fs::exists(SegmentPath(i), ec)) continue;
    FERRY_RETURN_IF_ERROR(OpenSegmentLocked(i));
    seg.last_touch_ns = seg.file->mtime_ns();
    table_->note_access(i, seg.last_touch_ns);
    const uint64_t changes = table_->changes(i);
    seg.indexed_to = seg.file->Scan(0, segment_bytes_, [&](uint64_t offset, BlockHeader&& h) {
      // A later copy of a block indexed already is left out.
      IndexFoundLocked(i, offset, std::move(h), seg.epoch, changes, seg.last_touch_ns);
    });
    if (seg.live_bytes == 0 && seg.indexed_to > 0) {
      seg.indexed_to = 0;
      FERRY_RETURN_IF_ERROR(seg.file->Reset());
    }
    table_->set_fill(i, seg.indexed_to);
  }
  return Status::OK();
}

bool BlockCache::CatchUp() {
  std::unique_lock busy(catch_up_mu_, std::try_to_lock);
  if (!busy) return false;
  struct Work {
    size_t index;
    uint64_t epoch, changes, from, to;
    SegmentFile* file;  // stays: segment files are only closed with the cache
    std::vector<std::pair<uint64_t, BlockHeader>> found;
  };
  std::vector<Work> work;
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < segments_.size(); ++i) {
      Segment& seg = segments_[i];
      if (seg.leased) continue;  // nobody else writes there
      const uint64_t epoch = table_->epoch(i);
      if (epoch != seg.epoch) ForgetSegmentLocked(i);
      seg.epoch = epoch;
      const uint64_t fill = table_->fill(i);
      if (fill <= seg.indexed_to) continue;
      if (!OpenSegmentLocked(i).ok()) continue;
      work.push_back({i, epoch, table_->changes(i), seg.indexed_to, fill, seg.file.get(), {}});
    }
  }
  if (work.empty()) return false;
  for (Work& w : work) {
    w.file->Scan(w.from, w.to, [&w](uint64_t offset, BlockHeader&& h) {
      w.found.emplace_back(offset, std::move(h));
    });
  }
  bool indexed = false;
  std::lock_guard lock(mu_);
  for (Work& w : work) {
    Segment& seg = segments_[w.index];
    // Emptied while it was read: what was read may be of either epoch.
    if (table_->epoch(w.index) != w.epoch || seg.epoch != w.epoch || seg.leased ||
        seg.indexed_to != w.from) {
      continue;
    }
    seg.indexed_to = w.to;
    const int64_t last_access_ns = table_->last_access_ns(w.index);
    for (auto& [offset, h] : w.found) {
      // A block this process has its own copy of is left out.
      indexed |=
          IndexFoundLocked(w.index, offset, std::move(h), w.epoch, w.changes, last_access_ns);
    }
  }
  return indexed;
}

bool BlockCache::IndexFoundLocked(size_t index, uint64_t offset, BlockHeader&& h, uint64_t epoch,
                                  uint64_t changes, int64_t last_access_ns) {
  std::string name = BlockFileName(h.key);
  if (entries_.contains(name)) return false;
  Segment& seg = segments_[index];
  Entry e;
  e.segment = static_cast<uint32_t>(index);
  e.offset = offset;
  e.data_length = h.data_length;
  e.header_length = h.header_length;
  e.disk_bytes = EntryBytes(h.header_length, h.data_length);
  e.last_access_ns = last_access_ns;
  e.ready = true;
  e.epoch = epoch;
  e.changes = changes;
  e.key = std::move(h.key);
  seg.live_bytes += e.disk_bytes;
  used_ += e.disk_bytes;
  seg.names.push_back(name);
  by_object_[e.key.object].insert(name);
  entries_.emplace(std::move(name), std::move(e));
  return true;
}

void BlockCache::ForgetSegmentLocked(size_t index) {
  Segment& seg = segments_[index];
  std::vector<std::string> kept;
  for (const auto& name : seg.names) {
    auto it = entries_.find(name);
    if (it == entries_.end() || it->second.segment != index) continue;
    // A pinned entry is checked by its reader, who finds it gone.
    if (it->second.pins > 0) {
      kept.push_back(name);
    } else {
      RemoveLocked(name, false);
    }
  }
  seg.names = std::move(kept);
  seg.indexed_to = 0;
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

bool BlockCache::DropLocked(const std::string& name) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return true;
  const Entry& e = it->second;
  Segment& seg = segments_[e.segment];
  if (!seg.file) {
    RemoveLocked(name, false);
    return true;
  }
  if (e.batch) {  // only this process knows of it
    e.batch->dropped.emplace_back(e.offset, e.disk_bytes);
    RemoveLocked(name, true);
    return true;
  }
  if (!seg.file->TryLock(e.offset, e.disk_bytes, /*exclusive=*/true)) return false;
  // Counted before the bytes go: a reader that locks them next sees the change and checks.
  table_->note_change(e.segment);
  SegmentFile* file = seg.file.get();
  const uint64_t offset = e.offset, bytes = e.disk_bytes;
  RemoveLocked(name, true);
  file->Unlock(offset, bytes);
  return true;
}

std::optional<size_t> BlockCache::LeaseLocked(uint64_t bytes) {
  const uint64_t lease_byte = segment_bytes_;
  // First a segment with room (empty ones before partly filled ones), kept as it is. The
  // table changes under other processes: orders are by a snapshot of it.
  std::vector<std::pair<bool, size_t>> by_fill;
  for (size_t i = 0; i < segments_.size(); ++i) by_fill.emplace_back(table_->fill(i) != 0, i);
  std::sort(by_fill.begin(), by_fill.end());
  std::vector<size_t> order;
  for (const auto& [filled, i] : by_fill) order.push_back(i);
  for (size_t i : order) {
    Segment& seg = segments_[i];
    if (seg.leased || table_->fill(i) + bytes > segment_bytes_) continue;
    if (!OpenSegmentLocked(i).ok() || !seg.file->TryLock(lease_byte, 1, true)) continue;
    const uint64_t fill = table_->fill(i);  // settled: only the lease holder moves it
    if (fill + bytes > segment_bytes_) {
      seg.file->Unlock(lease_byte, 1);
      continue;
    }
    if (table_->epoch(i) != seg.epoch) {
      ForgetSegmentLocked(i);
      seg.epoch = table_->epoch(i);
    }
    // Entries others appended that this process has not indexed stay theirs.
    seg.indexed_to = seg.fill = fill;
    seg.leased = true;
    return i;
  }
  // Then the least recently used segment no process reads from or appends to, emptied. One
  // without blocks (all released) goes before any with some.
  std::vector<std::tuple<bool, int64_t, size_t>> by_age;
  for (size_t i = 0; i < segments_.size(); ++i) {
    by_age.emplace_back(segments_[i].live_bytes != 0, table_->last_access_ns(i), i);
  }
  std::sort(by_age.begin(), by_age.end());
  order.clear();
  for (const auto& [live, age, i] : by_age) order.push_back(i);
  for (size_t i : order) {
    Segment& seg = segments_[i];
    if (seg.leased || seg.pins > 0) continue;
    if (!OpenSegmentLocked(i).ok() || !seg.file->TryLock(0, lease_byte + 1, true)) continue;
    table_->note_emptied(i);
    for (const auto& name : seg.names) {
      auto it = entries_.find(name);
      if (it == entries_.end() || it->second.segment != i) continue;
      RemoveLocked(name, false);
      ++stats_.evicted;
    }
    seg.names.clear();
    const bool reset = seg.file->Reset().ok();
    seg.file->Unlock(0, lease_byte);  // the lease byte stays locked
    if (!reset) {
      seg.file->Unlock(lease_byte, 1);
      continue;
    }
    seg.epoch = table_->epoch(i);
    seg.indexed_to = seg.fill = 0;
    seg.leased = true;
    return i;
  }
  return std::nullopt;
}

std::optional<std::pair<size_t, uint64_t>> BlockCache::ReserveLocked(uint64_t bytes) {
  if (bytes > segment_bytes_) return std::nullopt;
  if (!appending_ || segments_[*appending_].fill + bytes > segment_bytes_) {
    // The segment being appended to is full: its open batch is written now (when no entry
    // is being copied in), and its lease given back once its writes are on disk.
    if (batch_ && batch_->copying == 0) {
      const Status st = segments_[batch_->segment].file->WriteEntries(
          batch_->base, std::string_view(batch_->bytes.get(), batch_->reserved));
      FinishBatchLocked(batch_, st);
      batch_.reset();
    }
    if (appending_) {
      const size_t full = *appending_;
      appending_.reset();
      PublishLocked(full);
    }
    appending_ = LeaseLocked(bytes);
    if (!appending_) return std::nullopt;
  }
  Segment& seg = segments_[*appending_];
  const uint64_t offset = seg.fill;
  seg.fill += bytes;
  seg.last_touch_ns = Now();
  table_->note_access(*appending_, seg.last_touch_ns);
  return std::make_pair(*appending_, offset);
}

void BlockCache::PublishLocked(size_t index) {
  Segment& seg = segments_[index];
  if (!seg.leased) return;
  // Other processes scan only complete entries: up to the first write still under way.
  const uint64_t complete = seg.writing.empty() ? seg.fill : *seg.writing.begin();
  table_->set_fill(index, complete);
  seg.indexed_to = complete;
  if (appending_ != index && seg.writing.empty()) {
    seg.leased = false;
    seg.file->Unlock(segment_bytes_, 1);
  }
}

}  // namespace ferry::cache
