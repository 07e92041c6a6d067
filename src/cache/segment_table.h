// SegmentTable: what the processes sharing one cache directory know of its segments, in a
// small file each of them maps (DIR/segments.table). Several mounts and training jobs on one
// host use one cache directory and one size limit this way, as clients of one FSx for Lustre
// file system share it: the segment files are the only storage, the table says per segment
// how far it holds complete entries (what another process may index), when it was last used,
// and counts the changes that can invalidate what another process indexed.
//
// Who may do what to a segment file is settled with open-file-description byte-range locks
// (fcntl F_OFD_SETLK), which the kernel releases when a process dies, even by kill -9:
//   - a process appends only to a segment whose lease byte (at offset segment_bytes, past the
//     data) it holds exclusively;
//   - a reader holds a shared lock on an entry's bytes while it reads them;
//   - an entry is dropped (its space punched out) only under an exclusive lock of its bytes,
//     a segment emptied only under an exclusive lock of all its bytes and its lease byte.
// A lock that cannot be had at once is not waited for: the block is a miss, another segment
// is chosen, or the entry stays.
//
// Opening: the first process to open a directory that nobody uses (it holds DIR/users.lock
// alone) lays out the table with its size limit and rebuilds it from the segment files; a
// process that comes while others use it takes the limit the table has. DIR/setup.lock keeps
// two openers from doing this at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "ferry/result.h"

namespace ferry::cache {

struct SegmentGeometry {
  uint64_t segment_bytes = 0;
  uint64_t segment_count = 0;
  uint64_t capacity_bytes = 0;  // the limit asked for: segments and table fit within it
  bool operator==(const SegmentGeometry&) const = default;
};

class SegmentTable {
 public:
  // Opens DIR's table. With no other process using DIR, the table is laid out for wanted
  // (sole() is true) and the caller rebuilds its contents; else the table's own geometry
  // holds. Until EndSetup(), no other process opens the directory.
  static Result<std::unique_ptr<SegmentTable>> Open(const std::string& dir, SegmentGeometry wanted);
  ~SegmentTable();
  SegmentTable(const SegmentTable&) = delete;
  SegmentTable& operator=(const SegmentTable&) = delete;

  void EndSetup();

  // The table's size on disk (whole pages): part of the directory's size limit.
  static uint64_t FileBytes(uint64_t segment_count);

  bool sole() const { return sole_; }
  const SegmentGeometry& geometry() const { return geometry_; }

  // Bumped when the segment is emptied: every entry indexed before is gone.
  uint64_t epoch(size_t i) const { return Load(i, kEpoch); }
  // Bumped when the segment is emptied or an entry in it dropped: an entry indexed before
  // may be gone and is checked before it is read.
  uint64_t changes(size_t i) const { return Load(i, kChanges); }
  // Bytes from the start of the segment that hold complete entries (and dropped ones' holes).
  uint64_t fill(size_t i) const { return Load(i, kFill); }
  int64_t last_access_ns(size_t i) const { return static_cast<int64_t>(Load(i, kLastAccess)); }

  void set_fill(size_t i, uint64_t fill) { Store(i, kFill, fill); }
  void note_access(size_t i, int64_t now_ns);
  void note_change(size_t i) { Ref(i, kChanges).fetch_add(1); }
  // Before emptying: epoch and changes up, fill 0.
  void note_emptied(size_t i);

 private:
  enum Field { kEpoch, kChanges, kFill, kLastAccess, kFields };
  SegmentTable(int setup_fd, int users_fd, bool sole, SegmentGeometry geometry, char* map,
               size_t map_bytes);
  std::atomic_ref<uint64_t> Ref(size_t i, Field f) const;
  uint64_t Load(size_t i, Field f) const { return Ref(i, f).load(); }
  void Store(size_t i, Field f, uint64_t v) { Ref(i, f).store(v); }

  int setup_fd_;        // holds DIR/setup.lock until EndSetup
  const int users_fd_;  // a shared lock on DIR/users.lock while the table is open
  const bool sole_;
  const SegmentGeometry geometry_;
  char* const map_;
  const size_t map_bytes_;
};

}  // namespace ferry::cache
