// LocalWriter: the ObjectWriter of LocalStore for PutObject and UploadPart.
//
// Append() hashes and stages the body (BodyStager). Commit() verifies the size, Content-MD5
// and the expected S3 checksum (BadDigest / IncompleteBody, nothing stored), then makes the
// object or part visible with one group-committed index mutation that also checks the
// conditions (If-None-Match: *, If-Match) atomically with the write. Blobs of the replaced
// version are unlinked after the commit, once no reader uses them. Thread-compatible.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "ferry/object_store.h"
#include "localstore/body_stager.h"
#include "localstore/bucket.h"

namespace ferry::local {

inline constexpr uint64_t kMaxPutSize = 5ull << 30;  // S3's limit for one PUT or part

// Multipart parts always get blobs of their own: a completed upload then references them as
// segments without copying, and parts are big (5 MiB+) anyway.

struct WriteSpec {
  std::string key;
  ObjectHeaders headers;
  std::optional<uint64_t> size;
  std::string content_md5;
  std::optional<ObjectChecksum> checksum;  // expected value, or algorithm only
  bool if_none_match_star = false;
  std::string if_match_etag;
  std::string upload_id;  // set for a part
  int part_number = 0;
};

class LocalWriter final : public ObjectWriter {
 public:
  LocalWriter(std::shared_ptr<Bucket> bucket, WriteSpec spec);
  Status Append(std::span<const char> data) override;
  // Like Append from a file, with copy_file_range into a blob (no copy through user space
  // for the write; the bytes are still read once for the digests).
  Status AppendFile(int fd, uint64_t offset, uint64_t length) override;
  void SetExpectedChecksum(const ObjectChecksum& checksum) override;
  Result<ObjectMeta> Commit() override;
  // Appends bytes that also sit at src_offset in src_fd (CopyObject), letting the kernel
  // copy file to file where it can; data holds the same bytes.
  Status AppendCopy(int src_fd, uint64_t src_offset, std::span<const char> data);

 private:
  // Fails (and ends the writer) if n more bytes would exceed the announced or maximum size.
  Status CheckGrowth(uint64_t n);
  Result<ObjectMeta> CommitObject(ObjectMeta meta);
  Result<ObjectMeta> CommitPart(ObjectMeta meta);
  // Keeps the blob of a commit whose outcome is unknown for the recovery sweep.
  void OnCommitError(const Status& s);

  WriterToken bucket_;
  WriteSpec spec_;
  BodyStager stager_;
  bool finished_ = false;
};

// Checks a body's digests against what the client sent: Content-MD5 (InvalidDigest when
// malformed, BadDigest on mismatch) and the expected checksum (BadDigest "The CRC32C you
// specified did not match the calculated checksum."). Fills *stored with the checksum to keep
// (algorithm of expected, computed value), or leaves it empty when no algorithm was asked.
Status VerifyDigests(const BodyStager& body, std::string_view content_md5,
                     const std::optional<ObjectChecksum>& expected,
                     std::optional<ObjectChecksum>* stored);

}  // namespace ferry::local
