// LocalReader: the ObjectReader of LocalStore, pinned to the version it opened.
//
// An inline body is copied out of the index when the reader opens. A packed body is read
// through the open pack the reader holds (pack bytes never change, and an open descriptor
// outlives an unlink). A blob-backed body keeps its blobs pinned (BlobPins) so that a later
// overwrite or delete cannot unlink them while the reader lives; blob files are opened
// lazily. Extents() gives file ranges for sendfile; the descriptors it returns stay open
// until the reader is destroyed. ReadAt and Extents may be called from several threads at
// once.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/object_store.h"
#include "localstore/bucket.h"
#include "localstore/bucket_index.h"
#include "localstore/object_row.h"
#include "localstore/pack_store.h"

namespace ferry::local {

// Opens the version of key that ref names (by default the current one): NoSuchKey when the
// key has no current object, NoSuchVersion when the version does not exist,
// MethodNotAllowed when it is a delete marker.
Result<std::unique_ptr<ObjectReader>> OpenLocalReader(std::shared_ptr<Bucket> bucket,
                                                      std::string_view key,
                                                      const index::VersionRef& ref = {});

class LocalReader final : public ObjectReader {
 public:
  // An inline body.
  LocalReader(ObjectMeta meta, std::string body);
  // A packed body at offset in pack.
  LocalReader(ObjectMeta meta, std::shared_ptr<Pack> pack, uint64_t offset);
  // A blob-backed body. REQUIRES: the segments' blobs are pinned in bucket; the reader unpins.
  LocalReader(std::shared_ptr<Bucket> bucket, ObjectMeta meta, std::vector<Segment> segments);
  ~LocalReader() override;

  const ObjectMeta& meta() const override { return meta_; }
  Result<size_t> ReadAt(uint64_t offset, std::span<char> out) override;
  std::vector<Extent> Extents(uint64_t offset, uint64_t length) override;
  // The segment whose bytes are exactly [offset, offset + length) of a blob-backed body.
  std::optional<Segment> SegmentAt(uint64_t offset, uint64_t length) const;

 private:
  struct Piece {
    Segment segment;
    uint64_t start = 0;  // offset of the segment in the object
  };
  using SharedFd = std::shared_ptr<const UniqueFd>;
  // Index of the piece holding offset. REQUIRES: offset < meta_.size.
  size_t PieceAt(uint64_t offset) const;
  // The open blob of piece i (opened on first use). An exported descriptor stays open until
  // the reader is destroyed; others may be closed to bound how many are open, but not while
  // a caller still holds them.
  Result<SharedFd> Fd(size_t i, bool exported);

  std::shared_ptr<Bucket> bucket_;
  ObjectMeta meta_;
  std::string body_;            // inline bodies
  std::shared_ptr<Pack> pack_;  // packed bodies
  uint64_t pack_offset_ = 0;
  std::vector<Piece> pieces_;  // immutable after construction

  std::mutex mu_;
  std::vector<SharedFd> fds_;   // per piece, guarded by mu_
  std::vector<bool> exported_;  // per piece, guarded by mu_
  size_t cached_fds_ = 0;       // unexported entries of fds_, guarded by mu_
};

}  // namespace ferry::local
