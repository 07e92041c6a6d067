// File contents: writes go to the node's sparse data file in the cache; reads take what the
// data file holds and the rest from the bucket's version (through the block cache), or zeros
// past what is left of it. Close and fsync make what was written durable.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "gateway/gateway.h"
#include "gateway/posix_error.h"

namespace ferry::gateway {
namespace {

Status PreadFull(int fd, char* out, size_t n, uint64_t offset, const std::string& path) {
  while (n > 0) {
    ssize_t got = ::pread(fd, out, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Status::FromErrno(path, errno);
    if (got == 0) {  // past the data file's end: a hole
      std::memset(out, 0, n);
      return Status::OK();
    }
    out += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return Status::OK();
}

Status PwriteFull(int fd, const char* data, size_t n, uint64_t offset, const std::string& path) {
  while (n > 0) {
    ssize_t put = ::pwrite(fd, data, n, static_cast<off_t>(offset));
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) return errno == ENOSPC ? Status::NoSpace(path) : Status::FromErrno(path, errno);
    data += put;
    n -= static_cast<size_t>(put);
    offset += static_cast<uint64_t>(put);
  }
  return Status::OK();
}

}  // namespace

Result<uint64_t> Gateway::OpenFile(uint64_t ino, bool write) {
  std::unique_lock lock(mu_);
  FERRY_RETURN_IF_ERROR(EnsureExact(lock, ino));
  Entry* e = Find(ino);
  if (!e) return Status::NotFound("inode " + std::to_string(ino));
  if (e->node.is_dir()) return PosixError(EISDIR, "open");
  const uint64_t id = next_handle_++;
  handles_[id] = Handle{ino, write, -1};
  if (write) e->open_writers++;
  return id;
}

Result<int> Gateway::DataFd(Handle& h) {
  if (h.fd >= 0) return h.fd;
  const std::string path = DataPath(h.ino);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(path, errno);
  h.fd = fd;
  return fd;
}

Result<size_t> Gateway::Read(uint64_t handle, uint64_t offset, std::span<char> out) {
  std::unique_lock lock(mu_);
  auto hit = handles_.find(handle);
  if (hit == handles_.end()) return PosixError(EBADF, "read");
  Entry* e = Find(hit->second.ino);
  if (!e) return Status::NotFound("inode " + std::to_string(hit->second.ino));
  const Node& n = e->node;
  if (offset >= n.size) return size_t{0};
  const uint64_t end = std::min<uint64_t>(n.size, offset + out.size());
  // What the data file holds, what comes from the base version, and zeros past it.
  const std::vector<ByteSpan> missing = n.present.Missing(offset, end);
  int fd = -1;
  if (missing.size() != 1 || missing[0] != ByteSpan{offset, end}) {
    FERRY_ASSIGN_OR_RETURN(fd, DataFd(hit->second));
  }
  const fs::ObjectVersion base{options_.bucket, n.base_key, n.etag, n.base_size};
  const uint64_t base_valid = n.etag.empty() ? 0 : n.base_valid;
  const std::string path = DataPath(n.ino);
  lock.unlock();
  // fd stays open while the handle lives; Release waits for no one, so a read racing a
  // release of its own handle is the caller's error (the kernel never does it).
  uint64_t at = offset;
  auto from_file = [&](uint64_t until) -> Status {
    if (until <= at) return Status::OK();
    Status st = PreadFull(fd, out.data() + (at - offset), until - at, at, path);
    at = until;
    return st;
  };
  for (const ByteSpan& gap : missing) {
    FERRY_RETURN_IF_ERROR(from_file(gap.begin));
    const uint64_t from_base_end = std::min(gap.end, std::max(gap.begin, base_valid));
    while (at < from_base_end) {
      FERRY_ASSIGN_OR_RETURN(
          size_t got,
          reader_.Read(base, at, std::span<char>(out.data() + (at - offset), from_base_end - at)));
      if (got == 0) break;
      at += got;
    }
    if (at < gap.end) std::memset(out.data() + (at - offset), 0, gap.end - at);
    at = gap.end;
  }
  FERRY_RETURN_IF_ERROR(from_file(end));
  return static_cast<size_t>(end - offset);
}

Result<size_t> Gateway::Write(uint64_t handle, uint64_t offset, std::span<const char> data) {
  std::unique_lock lock(mu_);
  auto hit = handles_.find(handle);
  if (hit == handles_.end() || !hit->second.write) return PosixError(EBADF, "write");
  const uint64_t ino = hit->second.ino;
  // Back-pressure: past the dirty limit a writer waits for uploads to make room (its own file
  // may then go up unclosed: the upload workers see the pressure).
  if (dirty_bytes_ >= options_.max_dirty_bytes) work_.notify_all();
  changed_.wait(lock, [&] {
    const Entry* e = Find(ino);
    return stopping_ || !e || (!e->uploading && dirty_bytes_ < options_.max_dirty_bytes);
  });
  Entry* e = Find(ino);
  if (!e) return Status::NotFound("inode " + std::to_string(ino));
  if (stopping_) return Status::Cancelled("the gateway is stopping");
  hit = handles_.find(handle);
  if (hit == handles_.end()) return PosixError(EBADF, "write");
  FERRY_ASSIGN_OR_RETURN(int fd, DataFd(hit->second));
  e->writers++;
  const std::string path = DataPath(ino);
  lock.unlock();
  Status written = PwriteFull(fd, data.data(), data.size(), offset, path);
  lock.lock();
  e = Find(ino);
  if (!e) return Status::NotFound("inode " + std::to_string(ino));
  e->writers--;
  changed_.notify_all();
  FERRY_RETURN_IF_ERROR(written);
  const uint64_t end = offset + data.size();
  const uint64_t before = DirtyBytesOf(e->node);
  e->node.present.Add(offset, end);
  e->node.dirty.Add(offset, end);
  e->node.size = std::max(e->node.size, end);
  e->node.mtime_ns = Now();
  MarkChanged(*e, true, before);
  StreamChanged(*e, offset, end);
  return data.size();
}

Status Gateway::Truncate(std::unique_lock<std::mutex>& lock, uint64_t ino, uint64_t size) {
  Entry* e = Find(ino);
  if (!e) return Status::NotFound("inode " + std::to_string(ino));
  e->writers++;
  const std::string path = DataPath(ino);
  lock.unlock();
  Status cut;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    cut = Status::FromErrno(path, errno);
  } else {
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) cut = Status::FromErrno(path, errno);
    ::close(fd);
  }
  lock.lock();
  e = Find(ino);
  if (!e) return Status::NotFound("inode " + std::to_string(ino));
  e->writers--;
  changed_.notify_all();
  work_.notify_all();
  FERRY_RETURN_IF_ERROR(cut);
  Node& n = e->node;
  const uint64_t before = DirtyBytesOf(n);
  n.present.TruncateTo(size);
  n.dirty.TruncateTo(size);
  n.base_valid = std::min(n.base_valid, size);
  n.size = size;
  n.mtime_ns = Now();
  MarkChanged(*e, true, before);
  StreamChanged(*e, size, UINT64_MAX);
  return Status::OK();
}

Status Gateway::MakeDurable(uint64_t handle) {
  std::unique_lock lock(mu_);
  auto hit = handles_.find(handle);
  if (hit == handles_.end()) return PosixError(EBADF, "fsync");
  Entry* e = Find(hit->second.ino);
  if (!e) return Status::OK();  // unlinked: nothing to keep
  const int fd = hit->second.fd;
  const uint64_t seq = e->node.change_seq;
  const uint64_t ino = e->node.ino;
  // A file without changes (a reader's close) costs no commit.
  if (!e->node.pending() || e->synced_seq >= seq) return Status::OK();
  lock.unlock();
  if (fd >= 0 && ::fdatasync(fd) != 0) return Status::FromErrno(DataPath(ino), errno);
  lock.lock();
  e = Find(ino);
  if (!e) return Status::OK();
  StateDb::Batch batch;
  Save(*e, batch);
  FERRY_RETURN_IF_ERROR(CommitLocked(batch, true));
  e->synced_seq = std::max(e->synced_seq, seq);
  changed_.notify_all();
  work_.notify_all();
  return Status::OK();
}

Status Gateway::Flush(uint64_t handle) {
  return MakeDurable(handle);
}

Status Gateway::Fsync(uint64_t handle) {
  return MakeDurable(handle);
}

void Gateway::Release(uint64_t handle) {
  std::lock_guard lock(mu_);
  auto hit = handles_.find(handle);
  if (hit == handles_.end()) return;
  if (hit->second.fd >= 0) ::close(hit->second.fd);
  if (Entry* e = Find(hit->second.ino); e && hit->second.write) e->open_writers--;
  handles_.erase(hit);
  changed_.notify_all();
  work_.notify_all();
}

Status Gateway::SyncAll() {
  std::lock_guard lock(mu_);
  StateDb::Batch batch;
  for (auto& [ino, e] : nodes_) {
    if (!e.node.pending()) continue;
    const int fd = ::open(DataPath(ino).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      (void)::fdatasync(fd);
      ::close(fd);
    }
    Save(e, batch);
    e.synced_seq = e.node.change_seq;
  }
  return CommitLocked(batch, true);
}

Status Gateway::FillFromBase(uint64_t ino, int fd, uint64_t begin, uint64_t end) {
  std::unique_lock lock(mu_);
  Entry* e = Find(ino);
  if (!e) return Status::NotFound("inode " + std::to_string(ino));
  end = std::min(end, e->node.etag.empty() ? 0 : e->node.base_valid);
  if (begin >= end) return Status::OK();
  const std::vector<ByteSpan> missing = e->node.present.Missing(begin, end);
  const fs::ObjectVersion base{options_.bucket, e->node.base_key, e->node.etag, e->node.base_size};
  const std::string path = DataPath(ino);
  lock.unlock();
  std::vector<char> buf(std::min<uint64_t>(end - begin, uint64_t{4} << 20));
  for (const ByteSpan& gap : missing) {
    for (uint64_t at = gap.begin; at < gap.end;) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(gap.end - at, buf.size()));
      FERRY_ASSIGN_OR_RETURN(size_t got, reader_.Read(base, at, std::span<char>(buf.data(), want)));
      if (got == 0)
        return Status::Corruption("s3://" + base.bucket + "/" + base.key + " ended early");
      FERRY_RETURN_IF_ERROR(PwriteFull(fd, buf.data(), got, at, path));
      at += got;
    }
  }
  lock.lock();
  e = Find(ino);
  if (!e) return Status::NotFound("inode " + std::to_string(ino));
  for (const ByteSpan& gap : missing) e->node.present.Add(gap.begin, gap.end);
  return Status::OK();
}

}  // namespace ferry::gateway
