// BodyStager: receives the body of a new object or part before it is committed.
//
// Bytes stay in memory while the body may still be inline or packed. At Finish() a body of at
// most inline_limit bytes stays in memory (the index stores it); one of at most pack_limit
// bytes is written into a reserved range of the active pack; a larger one has already been
// streaming into a new blob since it outgrew the limits, never buffered whole. MD5 (for the
// ETag) and optionally one S3 checksum are computed on the way, so a commit does not re-read
// the data; a digest of another kind can still be computed afterwards by re-reading. MD5 goes
// through the store's Md5Batcher, a body kept in memory in one piece at Finish(), so that
// concurrent uploads share SIMD lanes.
// Destroying the stager without committing discards the blob (a pack range becomes dead
// space). Thread-compatible.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/checksum.h"
#include "core/md5_batcher.h"
#include "localstore/blob_store.h"
#include "localstore/pack_store.h"

namespace ferry::local {

struct StagerLimits {
  uint64_t inline_limit = 0;          // largest body kept for the index row
  uint64_t pack_limit = 0;            // largest body packed (<= inline_limit: no packing)
  bool force_blob = false;            // always end in a blob of its own (multipart parts)
  std::optional<uint64_t> size_hint;  // the body's size when announced (Content-Length)
};

class BodyStager {
 public:
  BodyStager(BlobStore* blobs, PackStore* packs, Md5Batcher* md5, StagerLimits limits,
             std::optional<DigestKind> checksum);

  Status Append(std::span<const char> data);
  // Appends bytes that are also at src_offset in src_fd, copying file to file when the
  // kernel can (CopyObject). data holds the same bytes, for hashing and the fallback.
  Status AppendCopy(int src_fd, uint64_t src_offset, std::span<const char> data);
  // Changes the checksum computed while streaming; only before the first byte.
  bool SetChecksumKind(std::optional<DigestKind> kind);

  // Ends the body: finishes the digests; writes a packed body into its pack range; flushes a
  // blob and makes it durable. (Packed bytes become durable with the group commit.)
  Status Finish();

  uint64_t size() const { return size_; }
  // REQUIRES: Finish() succeeded.
  const std::string& md5() const { return md5_; }
  // The raw digest of the body: the streamed one, or computed now by re-reading the body.
  // REQUIRES: Finish() succeeded.
  Result<std::string> Digest(DigestKind kind) const;

  bool in_blob() const { return sink_ != nullptr; }
  // REQUIRES: Finish() succeeded. The packed range, when the body went to a pack.
  const PackStore::Slot* pack_slot() const { return slot_.get(); }
  // The body when it is neither in a blob nor packed.
  const std::string& inline_bytes() const { return buffer_; }
  // REQUIRES: in_blob().
  BlobSink& sink() { return *sink_; }

 private:
  Status SpillToBlob();
  uint64_t memory_limit() const;

  BlobStore* blobs_;
  PackStore* packs_;
  const StagerLimits limits_;
  std::unique_ptr<Hasher> md5_hasher_;
  std::optional<DigestKind> checksum_kind_;
  std::unique_ptr<Hasher> checksum_hasher_;
  std::string buffer_;  // the body while it is in memory
  std::unique_ptr<BlobSink> sink_;
  std::unique_ptr<PackStore::Slot> slot_;
  uint64_t size_ = 0;
  std::string md5_;
  std::string checksum_;
};

}  // namespace ferry::local
