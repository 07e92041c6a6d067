// TransferEngine: moves objects between local files and a store, in parallel across files
// and, for large files, within them.
//
// - Uploads send small files with one PUT straight from the file (no copy into memory) and
//   large ones as a multipart upload whose parts go in parallel; a failed multipart upload is
//   aborted.
// - Downloads write into a temporary file beside the destination (large objects as parallel
//   ranged reads with pwrite into a preallocated file), restore mode and mtime from the POSIX
//   metadata, then rename it into place: a failed download leaves nothing at the destination.
// - Copies between buckets are server-side.
// Requests are retried by the store's retry policy; `transfers` bounds the requests in flight
// and queued work, so memory stays bounded whatever the number or size of files.
//
// Submit from one producer thread; the engine's workers do the rest. Finish waits for all.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "ferry/object_store.h"
#include "transfer/progress.h"

namespace ferry::transfer {

struct TransferOptions {
  size_t transfers = 16;                    // requests in flight; Default: 16
  uint64_t part_size = 16 << 20;            // multipart part and ranged-read size; 16 MiB
  uint64_t multipart_threshold = 32 << 20;  // larger objects go in parallel parts; 32 MiB
  bool preserve_posix = true;               // store and restore mode, owner, times
  bool restore_owner = false;               // chown downloads (meaningful as root)
  ChecksumAlgorithm checksum = ChecksumAlgorithm::kCrc32c;  // sent with every upload
};

struct UploadJob {
  std::string path;  // a regular file (symlinks followed)
  std::string bucket;
  std::string key;
};

struct DownloadJob {
  std::string bucket;
  std::string key;
  std::string path;              // destination file
  std::optional<uint64_t> size;  // as listed, when known
};

struct CopyJob {
  std::string src_bucket;
  std::string src_key;
  std::string dst_bucket;
  std::string dst_key;
};

struct TransferError {
  std::string what;  // "s3://bucket/key" or a local path
  Status status;
};

struct TransferSummary {
  uint64_t objects = 0;  // completed
  uint64_t bytes = 0;
  uint64_t failed = 0;
  double seconds = 0;
  std::vector<TransferError> errors;  // the first kMaxErrors
  static constexpr size_t kMaxErrors = 100;
};

class TransferEngine {
 public:
  TransferEngine(ObjectStore& store, const TransferOptions& options, Progress& progress);
  ~TransferEngine();

  void Upload(UploadJob job);
  void Download(DownloadJob job);
  void Copy(CopyJob job);

  // Waits for every submitted job.
  TransferSummary Finish();

  // Records a failure found outside the engine (e.g. an unreadable file while walking).
  void RecordError(const std::string& what, const Status& status);

 private:
  struct MultipartUpload;
  struct RangedDownload;

  void RunUpload(const UploadJob& job);
  void UploadPart(const std::shared_ptr<MultipartUpload>& upload, size_t index);
  void FinishUpload(const std::shared_ptr<MultipartUpload>& upload);
  void RunDownload(const DownloadJob& job);
  void DownloadRange(const std::shared_ptr<RangedDownload>& download, size_t index);
  void FinishDownload(const std::shared_ptr<RangedDownload>& download);
  void RunCopy(const CopyJob& job);
  void Succeeded(uint64_t bytes);
  void WaitForRoom();

  ObjectStore& store_;
  const TransferOptions options_;
  Progress& progress_;
  const unsigned umask_;
  std::mutex mu_;
  TransferSummary summary_;  // guarded by mu_
  ThreadPool pool_;          // last: its destructor joins workers before the rest goes
};

}  // namespace ferry::transfer
