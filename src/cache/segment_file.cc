#include "cache/segment_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/file_io.h"

namespace ferry::cache {
namespace {

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<char, FreeDeleter>;

AlignedBuffer Aligned(size_t n) {
  void* raw = nullptr;
  if (::posix_memalign(&raw, kSegmentAlign, n) != 0) return nullptr;
  return AlignedBuffer(static_cast<char*>(raw));
}

bool IsAligned(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % kSegmentAlign == 0;
}

}  // namespace

SegmentFile::SegmentFile(std::string path, uint64_t size, int fd, int direct_fd)
    : path_(std::move(path)), size_(size), fd_(fd), direct_fd_(direct_fd) {}

SegmentFile::~SegmentFile() {
  ::close(fd_);
  if (direct_fd_ >= 0) ::close(direct_fd_);
}

Result<std::unique_ptr<SegmentFile>> SegmentFile::Open(const std::string& path, uint64_t size) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(path, errno);
  int direct_fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_DIRECT);
  std::unique_ptr<SegmentFile> file(new SegmentFile(path, size, fd, direct_fd));
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::FromErrno(path, errno);
  if (static_cast<uint64_t>(st.st_size) != size) FERRY_RETURN_IF_ERROR(file->Reserve());
  return file;
}

Status SegmentFile::Reserve() {
  // Space reserved up front: appends then never extend the file, so concurrent direct
  // writes into it need no exclusive inode lock, and a full disk shows at once.
  if (::fallocate(fd_, 0, 0, static_cast<off_t>(size_)) == 0) return Status::OK();
  if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) return Status::FromErrno(path_, errno);
  return Status::OK();
}

Status SegmentFile::Reset() {
  if (::ftruncate(fd_, 0) != 0) return Status::FromErrno(path_, errno);
  return Reserve();
}

Status SegmentFile::Write(uint64_t offset, std::string_view header, std::string_view data) {
  const size_t header_bytes = AlignUp(header.size());
  const size_t data_bytes = AlignUp(data.size());
  if (direct_fd_ >= 0) {
    // The data goes from where it lies when it is aligned; only its last partial page and
    // the header are copied.
    const size_t in_place =
        IsAligned(data.data()) ? data.size() / kSegmentAlign * kSegmentAlign : 0;
    const size_t copied = data_bytes - in_place;
    AlignedBuffer buf = Aligned(header_bytes + copied);
    if (buf) {
      std::memset(buf.get(), 0, header_bytes);
      std::memcpy(buf.get(), header.data(), header.size());
      char* tail = buf.get() + header_bytes;
      const size_t tail_data = data.size() - in_place;
      std::memcpy(tail, data.data() + in_place, tail_data);
      std::memset(tail + tail_data, 0, copied - tail_data);
      std::vector<iovec> iov = {{buf.get(), header_bytes}};
      if (in_place > 0) iov.push_back({const_cast<char*>(data.data()), in_place});
      if (copied > 0) iov.push_back({tail, copied});
      if (PwritevAll(direct_fd_, std::move(iov), offset, path_).ok()) return Status::OK();
    }
  }
  // Buffered: the file system refused direct I/O.
  static const char kZeros[kSegmentAlign] = {};
  std::vector<iovec> iov = {
      {const_cast<char*>(header.data()), header.size()},
      {const_cast<char*>(kZeros), header_bytes - header.size()},
      {const_cast<char*>(data.data()), data.size()},
      {const_cast<char*>(kZeros), data_bytes - data.size()},
  };
  return PwritevAll(fd_, std::move(iov), offset, path_);
}

Status SegmentFile::WriteEntries(uint64_t offset, std::string_view bytes) {
  std::vector<iovec> iov = {{const_cast<char*>(bytes.data()), bytes.size()}};
  if (direct_fd_ >= 0 && PwritevAll(direct_fd_, iov, offset, path_).ok()) return Status::OK();
  return PwritevAll(fd_, std::move(iov), offset, path_);
}

Result<size_t> SegmentFile::Read(uint64_t offset, std::span<char> out) {
  return PreadFull(fd_, out, offset, path_);
}

void SegmentFile::WillNeed(uint64_t offset, uint64_t length) {
  ::posix_fadvise(fd_, static_cast<off_t>(offset), static_cast<off_t>(length), POSIX_FADV_WILLNEED);
}

void SegmentFile::Free(uint64_t offset, uint64_t length) {
  // Best effort: a file system without hole punching keeps the bytes until the segment is
  // recycled.
  (void)::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                    static_cast<off_t>(length));
}

void SegmentFile::Touch() {
  struct timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
  ::futimens(fd_, times);
}

int64_t SegmentFile::mtime_ns() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return 0;
  return int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
}

uint64_t SegmentFile::Scan(uint64_t from, uint64_t to,
                           const std::function<void(uint64_t, BlockHeader&&)>& found) {
  to = std::min(to, size_);
  std::vector<char> buf(kHeaderReadBytes);
  uint64_t pos = from;
  uint64_t end = from;
  while (pos + kSegmentAlign <= to) {
    auto n = Read(pos, std::span<char>(buf.data(), kHeaderReadBytes));
    if (!n.ok()) break;
    std::string_view bytes(buf.data(), *n);
    auto header = DecodeBlockHeader(bytes);
    if (!header && *n >= 12) {
      // A header longer than one read (a very long key): read all of it.
      uint32_t length = 0;
      std::memcpy(&length, buf.data() + 8, sizeof length);
      if (length > kHeaderReadBytes && length <= (64u << 10)) {
        std::vector<char> big(length);
        auto m = Read(pos, std::span<char>(big.data(), big.size()));
        if (m.ok()) header = DecodeBlockHeader(std::string_view(big.data(), *m));
      }
    }
    if (!header) {
      // A dropped entry left a hole: the entries after it are still there.
      const off_t data = ::lseek(fd_, static_cast<off_t>(pos), SEEK_DATA);
      if (data <= static_cast<off_t>(pos)) break;
      pos = AlignUp(static_cast<uint64_t>(data));
      continue;
    }
    const uint64_t bytes_taken = EntryBytes(header->header_length, header->data_length);
    if (pos + bytes_taken > to) break;
    found(pos, std::move(*header));
    pos += bytes_taken;
    end = pos;
  }
  return end;
}

bool SegmentFile::TryLock(uint64_t offset, uint64_t length, bool exclusive) {
  struct flock lock = {};
  lock.l_type = exclusive ? F_WRLCK : F_RDLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = static_cast<off_t>(offset);
  lock.l_len = static_cast<off_t>(length);
  return ::fcntl(fd_, F_OFD_SETLK, &lock) == 0;
}

void SegmentFile::Unlock(uint64_t offset, uint64_t length) {
  struct flock lock = {};
  lock.l_type = F_UNLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = static_cast<off_t>(offset);
  lock.l_len = static_cast<off_t>(length);
  ::fcntl(fd_, F_OFD_SETLK, &lock);
}

}  // namespace ferry::cache
