// BlobStore: the immutable data files of one bucket, under <bucket>/blobs/<2 hex>/<32 hex>.
//
// A blob is created empty with a fresh random id, filled once, made durable (Sync: fsync of
// the file and of its directory) and only then referenced from the index. It is never
// modified afterwards; it is unlinked only after the index commit that dropped the last
// reference to it. All paths are resolved relative to an open directory descriptor, so the
// bucket directory can be renamed (bucket deletion) under open readers. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ferry/result.h"
#include "localstore/blob_id.h"
#include "localstore/fs_util.h"

namespace ferry::local {

class BlobStore {
 public:
  // Creates blobs/ and its 256 fan-out directories below bucket_dirfd.
  static Status Init(int bucket_dirfd);
  static Result<std::unique_ptr<BlobStore>> Open(int bucket_dirfd, bool fsync);

  struct NewBlob {
    BlobId id;
    UniqueFd fd;
  };
  // A new, empty blob file open for reading and writing.
  Result<NewBlob> Create();
  // fsync of the blob and of its directory (no-op when fsync is off).
  Status Sync(const BlobId& id, int fd);
  Result<UniqueFd> OpenForRead(const BlobId& id) const;
  // A new blob with the bytes of an existing one, as a hard link (blobs never change), made
  // durable like Sync. Lets a part copied whole from an object's blob skip the data.
  Result<BlobId> Link(const BlobId& existing);
  // Unlinks a blob; a missing blob is not an error.
  Status Remove(const BlobId& id);
  // Calls fn(fanout_dir, file_name) for every file under blobs/.
  Status ForEachFile(const std::function<void(const std::string&, const std::string&)>& fn) const;
  // Unlinks blobs/<fanout_dir>/<name> (used by the recovery sweep for stray files).
  Status RemoveFile(const std::string& fanout_dir, const std::string& name);

  bool fsync_enabled() const { return fsync_; }

 private:
  BlobStore(UniqueFd dir, bool fsync) : dir_(std::move(dir)), fsync_(fsync) {}

  UniqueFd dir_;  // <bucket>/blobs
  bool fsync_;
};

// Streams bytes into a new blob through a write buffer. Full buffers of a large blob are
// written with direct I/O where the file system allows it: filling new page-cache pages is
// the slowest part of storing large objects on VMs that hand free memory back to their host,
// and a blob just stored is rarely read at once. Unless Keep() is called, the blob is unlinked
// when the sink is destroyed. Thread-compatible.
class BlobSink {
 public:
  static Result<std::unique_ptr<BlobSink>> Create(BlobStore* store);
  ~BlobSink();

  Status Append(std::span<const char> data);
  // Copies length bytes from src_fd at src_offset without passing them through user space
  // when the kernel can (copy_file_range); data holds the same bytes for the fallback.
  Status CopyFrom(int src_fd, uint64_t src_offset, std::span<const char> data);
  // Flushes and makes the blob durable.
  Status Finish();
  // The blob stays when the sink is destroyed (it is now referenced by the index).
  void Keep() { keep_ = true; }

  const BlobId& id() const { return id_; }
  int fd() const { return fd_.get(); }
  uint64_t size() const { return size_; }

 private:
  struct FreeDeleter {
    void operator()(char* p) const;
  };
  BlobSink(BlobStore* store, BlobStore::NewBlob blob);
  // Writes the buffered bytes at the end of the file; direct: with direct I/O when they fill
  // the buffer.
  Status Flush(bool direct);
  // The blob opened again for direct I/O; -1 where the file system refuses it.
  int DirectFd();

  BlobStore* store_;
  BlobId id_;
  UniqueFd fd_;
  std::unique_ptr<char, FreeDeleter> buffer_;  // page-aligned
  size_t buffered_ = 0;                        // bytes in buffer_
  uint64_t written_ = 0;                       // bytes in the file
  uint64_t size_ = 0;
  UniqueFd direct_fd_;
  bool direct_tried_ = false;
  bool keep_ = false;
  bool copy_range_ok_ = true;
};

}  // namespace ferry::local
