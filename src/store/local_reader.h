// LocalReader: the ObjectReader of LocalStore, pinned to the version it opened.
//
// An inline body is copied out of the index when the reader opens. A packed body is read
// through the open pack the reader holds (pack bytes never change, and an open descriptor
// outlives an unlink). A blob-backed body keeps its blobs pinned (BlobPins) so that a later
// overwrite or delete cannot unlink them while the reader lives; blob files are opened
// lazily. Extents() gives file ranges for sendfile; the descriptors it returns stay open
// until the reader is destroyed. Thread-compatible.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/object_store.h"
#include "store/bucket.h"
#include "store/object_row.h"
#include "store/pack_store.h"

namespace ferry::local {

// Opens key's current version: NoSuchKey when missing.
Result<std::unique_ptr<ObjectReader>> OpenLocalReader(std::shared_ptr<Bucket> bucket,
                                                      std::string_view key);

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

 private:
  struct Piece {
    Segment segment;
    uint64_t start = 0;  // offset of the segment in the object
    UniqueFd fd;         // opened on first use
    bool exported = false;
  };
  // Index of the piece holding offset. REQUIRES: offset < meta_.size.
  size_t PieceAt(uint64_t offset) const;
  Result<int> Fd(size_t i);

  std::shared_ptr<Bucket> bucket_;
  ObjectMeta meta_;
  std::string body_;            // inline bodies
  std::shared_ptr<Pack> pack_;  // packed bodies
  uint64_t pack_offset_ = 0;
  std::vector<Piece> pieces_;
  size_t open_fds_ = 0;
};

}  // namespace ferry::local
