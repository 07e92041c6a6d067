// ShownFiles: what the mount keeps per file the kernel was shown, and the policy of reading
// one. Files are never opened through the mount (the kernel opens them without asking and
// keeps their pages across opens), so this table is keyed by inode, not by file handle: the
// version the kernel was shown (reads serve it; another ETag drops the kernel's pages), its
// read-ahead and drop-behind, and whether a small file's bytes were offered to the page cache.
// The kernel adapter (fuse/) asks and replies; it decides nothing here. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/thread_pool.h"
#include "fs/block_reader.h"
#include "fs/drop_behind.h"
#include "fs/namespace.h"
#include "fs/read_ahead.h"

namespace ferry::fs {

struct ShownFilesOptions {
  uint64_t read_ahead_blocks = 8;
  uint64_t read_ahead_run_blocks = 1;  // blocks fetched by one read-ahead GET
  // Pages a sequential reader left this far behind go from the kernel's page cache; 0 keeps
  // them all.
  uint64_t drop_behind_bytes = 0;
  // Called when a file's reading begins (a read from offset 0, or its bytes offered whole).
  std::function<void(const ObjectVersion&)> on_open;
};

class ShownFiles {
 public:
  ShownFiles(Namespace& names, BlockReader& reader, ThreadPool& read_ahead_pool,
             ShownFilesOptions options);

  // How to ask the kernel to drop an inode's pages in a range (length 0: all of them); set by
  // the adapter before the first request. Called outside any lock: the adapter queues it (it
  // must not be sent from inside a request).
  using Invalidator = std::function<void(uint64_t ino, ByteRange range)>;
  void SetInvalidator(Invalidator invalidate) { invalidate_ = std::move(invalidate); }

  // The kernel was shown these attributes: a file whose ETag changed has its pages dropped.
  void NoteVersion(const NodeAttributes& attributes);
  // Reads [offset, offset + size) of the inode's file as the kernel was shown it, with
  // read-ahead and drop-behind. InvalidArgument for an inode that is not a file.
  Result<BlockReader::Slices> Read(uint64_t ino, uint64_t offset, size_t size);
  // The bytes of a small file fetched whole and not read yet, once per inode shown: for the
  // kernel's page cache ahead of the read that follows an open.
  std::optional<BlockReader::Slices> TakeUnread(uint64_t ino);
  // The kernel forgot the inode.
  void Forget(uint64_t ino);

 private:
  struct File {
    ObjectVersion object;                // the version the kernel was shown (reads serve it)
    std::shared_ptr<ReadAhead> ahead;    // made at the first read
    std::shared_ptr<DropBehind> behind;  // likewise, for files it could drop pages of
    bool offered = false;                // TakeUnread ran (its bytes were offered)
  };
  Result<File> FileOf(uint64_t ino);

  Namespace& names_;
  BlockReader& reader_;
  const std::shared_ptr<BlockReader> shared_reader_;  // non-owning alias for read-ahead jobs
  ThreadPool& pool_;
  const ShownFilesOptions options_;
  Invalidator invalidate_;
  std::mutex mu_;
  std::unordered_map<uint64_t, File> files_;  // guarded by mu_; by inode
};

}  // namespace ferry::fs
