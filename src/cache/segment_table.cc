#include "cache/segment_table.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ferry::cache {
namespace {

constexpr char kMagic[8] = {'F', 'R', 'Y', 'S', 'E', 'G', 'T', '1'};
constexpr size_t kSlotBytes = 64;  // a cache line per segment: no false sharing between them
constexpr size_t kHeaderBytes = kSlotBytes;

struct Header {
  char magic[8];
  uint64_t segment_bytes;
  uint64_t segment_count;
  uint64_t capacity_bytes;
};

// A descriptor closed on every early return.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Result<int> OpenLockFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(path, errno);
  return fd;
}

Status Flock(int fd, int op, const std::string& path) {
  while (::flock(fd, op) != 0) {
    if (errno != EINTR) return Status::FromErrno(path, errno);
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<SegmentTable>> SegmentTable::Open(const std::string& dir,
                                                         SegmentGeometry wanted) {
  FERRY_ASSIGN_OR_RETURN(int setup_raw, OpenLockFile(dir + "/setup.lock"));
  Fd setup(setup_raw);
  // Waits while another process sets up: it scans the segments it found, then lets go.
  FERRY_RETURN_IF_ERROR(Flock(setup.get(), LOCK_EX, dir + "/setup.lock"));
  FERRY_ASSIGN_OR_RETURN(int users_raw, OpenLockFile(dir + "/users.lock"));
  Fd users(users_raw);
  const bool sole = ::flock(users.get(), LOCK_EX | LOCK_NB) == 0;
  if (!sole && errno != EWOULDBLOCK) return Status::FromErrno(dir + "/users.lock", errno);
  // Others only join after EndSetup, so the exclusive lock can be turned into a shared one.
  FERRY_RETURN_IF_ERROR(Flock(users.get(), LOCK_SH, dir + "/users.lock"));

  const std::string path = dir + "/segments.table";
  Fd table(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (table.get() < 0) return Status::FromErrno(path, errno);
  SegmentGeometry geometry = wanted;
  if (sole) {
    // Nobody maps the table: it is laid out anew (zeros) for this process's limit.
    const off_t bytes = static_cast<off_t>(FileBytes(wanted.segment_count));
    if (::ftruncate(table.get(), 0) != 0 || ::ftruncate(table.get(), bytes) != 0) {
      return Status::FromErrno(path, errno);
    }
    Header h{};
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.segment_bytes = wanted.segment_bytes;
    h.segment_count = wanted.segment_count;
    h.capacity_bytes = wanted.capacity_bytes;
    if (::pwrite(table.get(), &h, sizeof h, 0) != static_cast<ssize_t>(sizeof h)) {
      return Status::FromErrno(path, errno);
    }
  } else {
    Header h{};
    if (::pread(table.get(), &h, sizeof h, 0) != static_cast<ssize_t>(sizeof h) ||
        std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || h.segment_bytes == 0 ||
        h.segment_count == 0 || h.segment_count > (1u << 20)) {
      return Status::Unavailable("cache directory " + dir +
                                 " is in use by a process that does not share it (an older "
                                 "ferry?)");
    }
    geometry = {h.segment_bytes, h.segment_count, h.capacity_bytes};
  }
  const size_t map_bytes = FileBytes(geometry.segment_count);
  struct stat st;
  if (::fstat(table.get(), &st) != 0) return Status::FromErrno(path, errno);
  if (static_cast<size_t>(st.st_size) < map_bytes) {
    return Status::Corruption(path + ": shorter than its header says");
  }
  void* map = ::mmap(nullptr, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, table.get(), 0);
  if (map == MAP_FAILED) return Status::FromErrno(path, errno);
  // The mapping stays valid without the descriptor.
  auto t = std::unique_ptr<SegmentTable>(new SegmentTable(
      setup.release(), users.release(), sole, geometry, static_cast<char*>(map), map_bytes));
  if (sole) {
    for (size_t i = 0; i < geometry.segment_count; ++i) t->Store(i, kEpoch, 1);
  }
  return t;
}

uint64_t SegmentTable::FileBytes(uint64_t segment_count) {
  return (kHeaderBytes + segment_count * kSlotBytes + 4095) / 4096 * 4096;
}

SegmentTable::SegmentTable(int setup_fd, int users_fd, bool sole, SegmentGeometry geometry,
                           char* map, size_t map_bytes)
    : setup_fd_(setup_fd),
      users_fd_(users_fd),
      sole_(sole),
      geometry_(geometry),
      map_(map),
      map_bytes_(map_bytes) {}

SegmentTable::~SegmentTable() {
  ::munmap(map_, map_bytes_);
  EndSetup();
  ::close(users_fd_);
}

void SegmentTable::EndSetup() {
  if (setup_fd_ >= 0) ::close(std::exchange(setup_fd_, -1));
}

std::atomic_ref<uint64_t> SegmentTable::Ref(size_t i, Field f) const {
  auto* slot = reinterpret_cast<uint64_t*>(map_ + kHeaderBytes + i * kSlotBytes);
  return std::atomic_ref<uint64_t>(slot[f]);
}

void SegmentTable::note_access(size_t i, int64_t now_ns) {
  // Only ever forward: a process with a slower clock reading does not make it look older.
  auto ref = Ref(i, kLastAccess);
  uint64_t seen = ref.load(std::memory_order_relaxed);
  const uint64_t now = static_cast<uint64_t>(now_ns);
  while (seen < now && !ref.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
}

void SegmentTable::note_emptied(size_t i) {
  Ref(i, kEpoch).fetch_add(1);
  Ref(i, kChanges).fetch_add(1);
  Store(i, kFill, 0);
}

}  // namespace ferry::cache
