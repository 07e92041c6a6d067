// TransferEngine: moves objects between local files and a store, in parallel across files
// and, for large files, within them.
//
// - Uploads send small files with one PUT straight from the file (no copy into memory) and
//   large ones as a multipart upload whose parts go in parallel; a failed multipart upload is
//   aborted.
// - Downloads write into a temporary file beside the destination (large objects as parallel
//   ranged reads with pwrite into a preallocated file), restore mode and mtime from the POSIX
//   metadata, then rename it into place: a failed download leaves nothing at the destination.
// - Copies between buckets are server-side; between endpoints they stream through this host.
// Requests are retried by the store's retry policy; `transfers` bounds the requests in flight
// and queued work, so memory stays bounded whatever the number or size of files.
//
// Submit from one producer thread; the engine's workers do the rest. Finish waits for all.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/buffer_pool.h"
#include "core/thread_pool.h"
#include "ferry/object_store.h"
#include "s3/posix_meta.h"
#include "transfer/progress.h"
#include "transfer/upload_journal.h"

namespace ferry::transfer {

struct TransferOptions {
  size_t transfers = 16;                    // requests in flight; Default: 16
  uint64_t part_size = 16 << 20;            // multipart part and ranged-read size; 16 MiB
  uint64_t multipart_threshold = 32 << 20;  // larger objects go in parallel parts; 32 MiB
  bool preserve_posix = true;               // store and restore mode, owner, times
  bool restore_owner = false;               // chown downloads (meaningful as root)
  ChecksumAlgorithm checksum = ChecksumAlgorithm::kCrc32c;  // sent with every upload
  // When set, multipart uploads cut short earlier are continued (not owned).
  UploadJournal* journal = nullptr;
  // When set and true (Ctrl-C), jobs not yet started end as interrupted, and so do the
  // multipart transfers in progress at their next part; requests in flight finish.
  const std::atomic<bool>* interrupt = nullptr;
};

// What became of one job, for callers that keep per-file records (sync reports and state).
struct JobOutcome {
  Status status;  // OK when the job succeeded
  uint64_t bytes = 0;
  // Uploads and copies: the stored object (ETag, size, checksum). Downloads: the object read.
  ObjectMeta object;
  // Uploads: the attributes stored with the object. Downloads: those of the object.
  s3::PosixAttributes attrs;
  // Uploads: bytes not sent again because an interrupted earlier upload had stored them.
  uint64_t resumed_bytes = 0;
};
// Called on a worker thread once per job, before the job counts as finished.
using JobDone = std::function<void(const JobOutcome&)>;

struct UploadJob {
  std::string path;  // a regular file (symlinks followed unless preserve_links)
  std::string bucket;
  std::string key;
  // Store a symbolic link as an object whose body is its target, and a directory (key ending
  // in '/') as an empty object, each with its POSIX attributes.
  bool preserve_links = false;
  JobDone done;
  // The ETag of the object this upload replaces, as the caller examined it: the write is
  // conditional on it (If-Match), so an object someone changed meanwhile is not overwritten
  // (the job fails with PreconditionFailed). Empty: unconditional.
  std::string replace_etag;
};

struct DownloadJob {
  std::string bucket;
  std::string key;
  std::string path;              // destination file
  std::optional<uint64_t> size;  // as listed, when known
  JobDone done;
};

struct CopyJob {
  std::string src_bucket;
  std::string src_key;
  std::string dst_bucket;
  std::string dst_key;
  // Replace the object's headers (a metadata-only update when source and destination are
  // the same object) instead of copying them.
  std::optional<ObjectHeaders> replace_headers;
  // Set when the source lives behind another endpoint (or other credentials): the object is
  // read from it and written to the engine's store, headers and metadata included, instead
  // of copied server-side. Not owned.
  ObjectStore* source_store = nullptr;
  JobDone done;
};

struct TransferError {
  std::string what;  // "s3://bucket/key" or a local path
  Status status;
};

struct TransferSummary {
  uint64_t objects = 0;  // completed
  uint64_t bytes = 0;
  uint64_t failed = 0;
  uint64_t interrupted = 0;  // jobs ended by an interruption (not failures)
  double seconds = 0;
  std::vector<TransferError> errors;  // the first kMaxErrors
  static constexpr size_t kMaxErrors = 100;
};

// Downloads read from the store in pieces this large, each into a pooled buffer (S3 readers
// fetch at least their read window at once; smaller reads from several threads would each
// refetch a window).
inline constexpr size_t kDownloadBufferBytes = 8 << 20;

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

  // Whether the options' interrupt is set: producers stop submitting.
  bool Interrupted() const { return options_.interrupt != nullptr && options_.interrupt->load(); }

 private:
  struct MultipartUpload;
  struct RangedDownload;

  void RunUpload(const UploadJob& job);
  void UploadSpecial(const UploadJob& job, const struct stat& st);
  void UploadPart(const std::shared_ptr<MultipartUpload>& upload, size_t index);
  // Picks up the journal's earlier upload of this file version and the parts it stored.
  void ResumeUpload(MultipartUpload& upload);
  bool StoredPartMatches(const MultipartUpload& upload, size_t index, uint64_t offset,
                         uint64_t length);
  void FinishUpload(const std::shared_ptr<MultipartUpload>& upload);
  void RunDownload(const DownloadJob& job);
  void DownloadRange(const std::shared_ptr<RangedDownload>& download, size_t index);
  void FinishDownload(const std::shared_ptr<RangedDownload>& download);
  void RunCopy(const CopyJob& job);
  // Starts a multipart upload with the engine's checksum; its upload id.
  Result<std::string> CreateUpload(const std::string& bucket, const std::string& key,
                                   ObjectHeaders headers);
  void StreamCopy(const CopyJob& job);
  void Succeeded(uint64_t bytes);
  // Reports to the job's callback, then counts the job.
  void Completed(const JobDone& done, JobOutcome outcome);
  void Failed(const JobDone& done, const std::string& what, const Status& status);
  void WaitForRoom();
  // Ends a job that has not started because of an interruption; false if not interrupted.
  bool EndIfInterrupted(const JobDone& done);

  ObjectStore& store_;
  const TransferOptions options_;
  Progress& progress_;
  const unsigned umask_;
  std::mutex mu_;
  TransferSummary summary_;  // guarded by mu_
  // Download buffers, one per range being read: reused, not faulted in afresh per part.
  std::shared_ptr<BufferPool> buffers_;
  ThreadPool pool_;  // last: its destructor joins workers before the rest goes
};

}  // namespace ferry::transfer
