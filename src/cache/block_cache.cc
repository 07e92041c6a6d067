#include "cache/block_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "core/checksum.h"

namespace ferry::cache {
namespace {

constexpr uint64_t kFsBlock = 4096;

uint64_t OnDisk(uint64_t bytes) {
  return (bytes + kFsBlock - 1) / kFsBlock * kFsBlock;
}

int64_t MtimeNs(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// Reads exactly n bytes at offset (fewer only at the end of the file).
Result<size_t> PreadFull(int fd, char* out, size_t n, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, out + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Status::FromErrno(path, errno);
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

Status WriteFull(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t w = ::write(fd, data.data(), data.size());
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Status::FromErrno(path, errno);
    data.remove_prefix(static_cast<size_t>(w));
  }
  return Status::OK();
}

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

}  // namespace

BlockCache::BlockCache(BlockCacheOptions options)
    : options_(std::move(options)), clock_(options_.clock ? options_.clock : &SystemClock()) {
  stats_.capacity_bytes = options_.capacity_bytes;
}

Result<std::unique_ptr<BlockCache>> BlockCache::Open(const BlockCacheOptions& options) {
  if (options.dir.empty()) return Status::InvalidArgument("cache: no directory");
  if (options.capacity_bytes == 0) return Status::InvalidArgument("cache: zero capacity");
  std::error_code ec;
  std::filesystem::create_directories(options.dir + "/blocks", ec);
  if (!ec) std::filesystem::create_directories(options.dir + "/tmp", ec);
  if (ec) return Status::IOError(options.dir + ": " + ec.message());
  std::unique_ptr<BlockCache> cache(new BlockCache(options));
  FERRY_RETURN_IF_ERROR(cache->Scan());
  return cache;
}

std::string BlockCache::PathOf(const std::string& name) const {
  return options_.dir + "/blocks/" + name.substr(0, 2) + "/" + name;
}

Status BlockCache::Scan() {
  namespace fs = std::filesystem;
  std::error_code ec;
  // Leftovers of writes a crash interrupted.
  for (const auto& e : fs::directory_iterator(options_.dir + "/tmp", ec)) {
    fs::remove(e.path(), ec);
  }
  struct Found {
    std::string name;
    Entry entry;
  };
  std::vector<Found> found;
  std::vector<char> buf(kHeaderReadBytes);
  for (const auto& sub : fs::directory_iterator(options_.dir + "/blocks", ec)) {
    std::error_code sub_ec;
    for (const auto& file : fs::directory_iterator(sub.path(), sub_ec)) {
      const std::string path = file.path().string();
      const std::string name = file.path().filename().string();
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      bool keep = false;
      Entry entry;
      if (fd >= 0) {
        FdCloser closer(fd);
        struct stat st;
        auto n = PreadFull(fd, buf.data(), buf.size(), 0, path);
        auto header = n.ok() ? DecodeBlockHeader(std::string_view(buf.data(), *n)) : std::nullopt;
        if (header && ::fstat(fd, &st) == 0 &&
            static_cast<uint64_t>(st.st_size) ==
                uint64_t{header->header_length} + header->data_length &&
            BlockFileName(header->key) == name) {
          entry.key = std::move(header->key);
          entry.data_length = header->data_length;
          entry.header_length = header->header_length;
          entry.disk_bytes = OnDisk(static_cast<uint64_t>(st.st_size));
          entry.last_access_ns = entry.last_touch_ns = MtimeNs(st);
          entry.ready = true;
          keep = true;
        }
      }
      if (!keep) {
        ::unlink(path.c_str());
        ++stats_.dropped;
        continue;
      }
      found.push_back({name, std::move(entry)});
    }
  }
  // Most recent first, as the LRU list keeps them.
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return a.entry.last_access_ns > b.entry.last_access_ns;
  });
  std::lock_guard lock(mu_);
  for (auto& f : found) {
    lru_.push_back(f.name);
    f.entry.lru = std::prev(lru_.end());
    used_ += f.entry.disk_bytes;
    by_object_[f.entry.key.object].insert(f.name);
    entries_.emplace(f.name, std::move(f.entry));
  }
  // The limit may have shrunk since the blocks were written.
  while (used_ > options_.capacity_bytes && !lru_.empty()) {
    RemoveLocked(lru_.back());
    ++stats_.evicted;
  }
  return Status::OK();
}

void BlockCache::RemoveLocked(const std::string& name) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  // The file goes while the lock is held: space counted as free is free on disk.
  ::unlink(PathOf(name).c_str());
  used_ -= it->second.disk_bytes;
  lru_.erase(it->second.lru);
  auto obj = by_object_.find(it->second.key.object);
  if (obj != by_object_.end()) {
    obj->second.erase(name);
    if (obj->second.empty()) by_object_.erase(obj);
  }
  entries_.erase(it);
}

bool BlockCache::MakeRoomLocked(uint64_t bytes) {
  if (bytes > options_.capacity_bytes) return false;
  auto it = lru_.end();
  while (used_ + bytes > options_.capacity_bytes) {
    // The least recent block no one is using.
    while (it != lru_.begin()) {
      --it;
      if (entries_.at(*it).pins == 0) break;
    }
    if (it == lru_.end() || entries_.at(*it).pins != 0) return false;
    std::string victim = *it;
    it = std::next(it);
    RemoveLocked(victim);
    ++stats_.evicted;
  }
  return true;
}

void BlockCache::Unpin(const std::string& name, bool drop) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  if (--it->second.pins == 0 && drop) {
    RemoveLocked(name);
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
  bool touch = false;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end() || !it->second.ready || !(it->second.key == key)) {
      ++stats_.misses;
      return Status::NotFound("block not cached");
    }
    Entry& e = it->second;
    ++e.pins;
    e.last_access_ns = Now();
    lru_.splice(lru_.begin(), lru_, e.lru);
    touch = e.last_access_ns - e.last_touch_ns >
            std::chrono::nanoseconds(options_.touch_interval).count();
    if (touch) e.last_touch_ns = e.last_access_ns;
    snapshot = e;
  }
  const std::string path = PathOf(name);
  bool corrupt = false;
  auto read = [&]() -> Result<size_t> {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      corrupt = true;
      return Status::NotFound(path + ": gone");
    }
    FdCloser closer(fd);
    if (!snapshot.verified) {
      std::string data(snapshot.data_length, '\0');
      FERRY_ASSIGN_OR_RETURN(size_t n,
                             PreadFull(fd, data.data(), data.size(), snapshot.header_length, path));
      std::string header(snapshot.header_length, '\0');
      FERRY_ASSIGN_OR_RETURN(size_t h, PreadFull(fd, header.data(), header.size(), 0, path));
      auto decoded = DecodeBlockHeader(std::string_view(header.data(), h));
      if (n != data.size() || !decoded || !(decoded->key == key) ||
          decoded->data_crc32c != Crc32c(0, std::span<const char>(data.data(), data.size()))) {
        corrupt = true;
        return Status::NotFound(path + ": corrupt block dropped");
      }
      std::lock_guard lock(mu_);
      if (auto it = entries_.find(name); it != entries_.end()) it->second.verified = true;
    }
    if (out.empty()) {
      // Prepare: a verified block's file is read ahead by the kernel.
      if (snapshot.verified) ::posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
      return size_t{0};
    }
    if (offset >= snapshot.data_length) return size_t{0};
    size_t want =
        static_cast<size_t>(std::min<uint64_t>(out.size(), snapshot.data_length - offset));
    return PreadFull(fd, out.data(), want, snapshot.header_length + offset, path);
  };
  Result<size_t> n = read();
  if (n.ok() && touch) {
    struct timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
    ::utimensat(AT_FDCWD, path.c_str(), times, 0);
  }
  Unpin(name, corrupt);
  std::lock_guard lock(mu_);
  if (out.empty()) {
    if (!n.ok()) ++stats_.dropped;
  } else if (n.ok()) {
    ++stats_.hits;
  } else {
    ++stats_.misses;
  }
  return n;
}

namespace {

// Writes header + data as a new file. Direct I/O where the file system allows it: a block
// is written once and read back rarely soon after (the mount serves fresh blocks from memory),
// so filling the page cache with it costs CPU (and, on VMs that hand freed memory back to the
// host, a host page fault per page) for nothing.
Status WriteBlockFile(const std::string& path, std::string_view header, std::string_view data) {
  constexpr size_t kAlign = 4096;
  const size_t length = header.size() + data.size();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_DIRECT, 0600);
  if (fd >= 0) {
    // The whole 4 KiB blocks go direct; the tail is written buffered (direct I/O would need
    // it padded, and cutting the padding off again reads the block back).
    const size_t aligned = length / kAlign * kAlign;
    void* raw = nullptr;
    Status st = Status::IOError(path + ": no aligned buffer");
    if (aligned == 0 || ::posix_memalign(&raw, kAlign, aligned) == 0) {
      std::unique_ptr<char, decltype(&std::free)> buf(static_cast<char*>(raw), &std::free);
      std::string_view tail;
      if (aligned > 0) {
        std::memcpy(buf.get(), header.data(), std::min(header.size(), aligned));
        if (aligned > header.size()) {
          std::memcpy(buf.get() + header.size(), data.data(), aligned - header.size());
        }
        st = WriteFull(fd, std::string_view(buf.get(), aligned), path);
      } else {
        st = Status::OK();
      }
      if (st.ok() && aligned < length) {
        int flags = ::fcntl(fd, F_GETFL);
        if (::fcntl(fd, F_SETFL, flags & ~O_DIRECT) != 0) st = Status::FromErrno(path, errno);
        // The tail: what of header and data lies past the aligned part.
        std::string rest;
        if (aligned < header.size()) rest.append(header.substr(aligned));
        rest.append(data.substr(aligned > header.size() ? aligned - header.size() : 0));
        if (st.ok()) st = WriteFull(fd, rest, path);
      }
    }
    ::close(fd);
    if (st.ok()) return st;
    ::unlink(path.c_str());  // direct I/O refused on this file system: write it buffered
  }
  fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(path, errno);
  Status st = WriteFull(fd, header, path);
  if (st.ok()) st = WriteFull(fd, data, path);
  ::close(fd);
  return st;
}

}  // namespace

Status BlockCache::Put(const BlockKey& key, std::string_view data) {
  const std::string name = BlockFileName(key);
  const std::string header = EncodeBlockHeader(key, data);
  const uint64_t disk_bytes = OnDisk(header.size() + data.size());
  std::string temp;
  {
    std::lock_guard lock(mu_);
    if (auto it = entries_.find(name); it != entries_.end()) {
      if (it->second.key == key) return Status::OK();  // present or being written
      if (it->second.pins > 0) return Status::ResourceExhausted("cache: slot busy");
      RemoveLocked(name);  // a hash collision: the newer block wins
    }
    if (!MakeRoomLocked(disk_bytes)) {
      ++stats_.refused;
      return Status::ResourceExhausted("cache full of blocks in use");
    }
    Entry e;
    e.key = key;
    e.disk_bytes = disk_bytes;
    e.data_length = static_cast<uint32_t>(data.size());
    e.header_length = static_cast<uint32_t>(header.size());
    e.last_access_ns = e.last_touch_ns = Now();
    e.pins = 1;  // the writer's, until the file is complete
    e.verified = true;
    lru_.push_front(name);
    e.lru = lru_.begin();
    used_ += disk_bytes;
    by_object_[key.object].insert(name);
    entries_.emplace(name, std::move(e));
    temp = options_.dir + "/tmp/" + name + "." + std::to_string(++temp_counter_);
  }
  auto write = [&]() -> Status {
    std::error_code ec;
    std::filesystem::create_directories(options_.dir + "/blocks/" + name.substr(0, 2), ec);
    if (ec) return Status::IOError(options_.dir + ": " + ec.message());
    Status st = WriteBlockFile(temp, header, data);
    // No fsync: a block torn by a crash fails its checks and is dropped on the next open.
    if (st.ok() && ::rename(temp.c_str(), PathOf(name).c_str()) != 0) {
      st = Status::FromErrno(PathOf(name), errno);
    }
    if (!st.ok()) ::unlink(temp.c_str());
    return st;
  };
  Status st = write();
  std::lock_guard lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return st;
  --it->second.pins;
  if (!st.ok()) {
    RemoveLocked(name);
    return st;
  }
  it->second.ready = true;
  ++stats_.stored;
  return Status::OK();
}

uint64_t BlockCache::ReleaseWhereLocked(const std::function<bool(const Entry&)>& pred) {
  std::vector<std::string> names;
  for (const auto& [name, e] : entries_) {
    if (e.ready && e.pins == 0 && pred(e)) names.push_back(name);
  }
  uint64_t bytes = 0;
  for (const auto& name : names) {
    bytes += entries_.at(name).data_length;
    RemoveLocked(name);
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
    RemoveLocked(name);
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
  s.blocks = entries_.size();
  s.bytes_used = used_;
  return s;
}

}  // namespace ferry::cache
