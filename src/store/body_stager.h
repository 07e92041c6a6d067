// BodyStager: receives the body of a new object or part before it is committed.
//
// Bytes stay in memory while the body fits the inline limit; past it (or always, for parts)
// they stream into a new blob through a BlobSink, never buffered whole. MD5 (for the ETag)
// and optionally one S3 checksum are computed on the way, so a commit does not re-read the
// data; a digest of another kind can still be computed afterwards by re-reading. Destroying
// the stager without Keep() discards the blob. Thread-compatible.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/checksum.h"
#include "store/blob_store.h"

namespace ferry::local {

class BodyStager {
 public:
  // inline_limit: largest body kept in memory; force_blob: always end in a blob (parts).
  BodyStager(BlobStore* blobs, uint64_t inline_limit, bool force_blob,
             std::optional<DigestKind> checksum);

  Status Append(std::span<const char> data);
  // Appends bytes that are also at src_offset in src_fd, copying file to file when the
  // kernel can (CopyObject). data holds the same bytes, for hashing and the fallback.
  Status AppendCopy(int src_fd, uint64_t src_offset, std::span<const char> data);
  // Changes the checksum computed while streaming; only before the first byte.
  bool SetChecksumKind(std::optional<DigestKind> kind);

  // Ends the body: finishes the digests; a blob is flushed and made durable.
  Status Finish();

  uint64_t size() const { return size_; }
  // REQUIRES: Finish() succeeded.
  const std::string& md5() const { return md5_; }
  // The raw digest of the body: the streamed one, or computed now by re-reading the body.
  // REQUIRES: Finish() succeeded.
  Result<std::string> Digest(DigestKind kind) const;

  bool in_blob() const { return sink_ != nullptr; }
  const std::string& inline_bytes() const { return buffer_; }
  // REQUIRES: in_blob().
  BlobSink& sink() { return *sink_; }

 private:
  Status SpillToBlob();

  BlobStore* blobs_;
  const uint64_t inline_limit_;
  const bool force_blob_;
  std::unique_ptr<Hasher> md5_hasher_;
  std::optional<DigestKind> checksum_kind_;
  std::unique_ptr<Hasher> checksum_hasher_;
  std::string buffer_;  // the body while it is inline
  std::unique_ptr<BlobSink> sink_;
  uint64_t size_ = 0;
  std::string md5_;
  std::string checksum_;
};

}  // namespace ferry::local
