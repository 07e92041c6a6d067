// Options of a LocalStore. A plain struct; every field has a usable default.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ferry {

namespace local {
class ArchiveTier;
}  // namespace local

struct LocalStoreOptions {
  // Bodies of PutObject/CopyObject up to this many bytes are stored inside the bucket index
  // row itself. Default: 4 KiB.
  uint64_t inline_threshold = 4 * 1024;

  // Larger bodies up to this many bytes are appended to a shared pack file (one pwrite, and
  // one fdatasync per group commit); bigger ones get a blob file of their own. 0 disables
  // packing. REQUIRES: <= pack_size. Default: 128 KiB.
  uint64_t pack_threshold = 128 * 1024;

  // Size at which a pack file stops growing and a new one starts. Default: 64 MiB.
  uint64_t pack_size = 64 * 1024 * 1024;

  // fsync acknowledged writes (blob files, their directories, the index WAL). Only tests and
  // throwaway servers should turn this off. Default: true.
  bool fsync = true;

  // Smallest size of a multipart part other than the last (EntityTooSmall below it).
  // Default: 5 MiB, as S3.
  uint64_t min_part_size = 5 * 1024 * 1024;

  // Most index mutations committed by one transaction. Default: 256.
  int max_commit_batch = 256;

  // A background checkpoint copies the WAL into the database once it holds this many pages.
  // Default: 8192 (32 MiB with 4 KiB pages).
  int checkpoint_wal_pages = 8192;

  // Idle read-only SQLite connections kept per bucket. Default: 16.
  size_t max_idle_readers = 16;

  // Where the bytes of archived versions go (archive_tier.h); null keeps them on this disk.
  // Must outlive the store.
  local::ArchiveTier* archive = nullptr;
};

}  // namespace ferry
