// TransferEngine downloads: a staged file at the destination, parallel ranged reads for large
// objects, POSIX attributes, then one step that puts the file in place.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include "core/file_io.h"
#include "transfer/engine.h"
#include "transfer/local_file.h"
#include "transfer/staged_file.h"

namespace ferry::transfer {
namespace {

// Bytes read from the store (kDownloadBufferBytes at a time) go to the file in pieces this
// small. The size of a write decides the size of the page-cache folios the kernel allocates
// for it; on VMs that hand free memory back to their host (virtio-balloon free page
// reporting, as on the machines of bench/RESULTS.md) filling 2 MiB folios runs at ~0.5 GB/s
// while 128 KiB ones fill at 2-5 GB/s. Elsewhere it costs only a few more system calls per
// MiB.
constexpr size_t kWritePieceBytes = 128 << 10;

Status WriteInPieces(int fd, const char* data, size_t n, uint64_t offset) {
  for (size_t done = 0; done < n;) {
    size_t piece = std::min(n - done, kWritePieceBytes);
    FERRY_RETURN_IF_ERROR(PwriteAll(fd, {data + done, piece}, offset + done, "write"));
    done += piece;
  }
  return Status::OK();
}

constexpr uint64_t kDirectAlign = 4096;

// Writes bytes read for [offset, offset + n) of the file. With direct_fd (>= 0) the whole
// pages go with direct I/O, in parallel with other ranges: the bytes reach the disk without
// filling the page cache, which on VMs that hand free memory back to their host is the
// slowest part of a large download (see kWritePieceBytes; a direct write of new data runs at
// the disk's speed, 2-3x faster there); a last piece shorter than a page goes through fd.
// Otherwise they go through fd in pieces, under write_mu when given: the kernel serializes a
// file's buffered writes anyway, and waiting on a mutex sleeps where waiting on the inode
// lock spins.
Status WriteRange(int fd, int direct_fd, std::mutex* write_mu, const char* data, size_t n,
                  uint64_t offset) {
  if (direct_fd >= 0) {
    const size_t aligned = n / kDirectAlign * kDirectAlign;
    if (aligned > 0 && !PwriteAll(direct_fd, {data, aligned}, offset, "write").ok()) {
      // Refused after all (an alignment this file system wants larger): buffered.
      FERRY_RETURN_IF_ERROR(PwriteAll(fd, {data, aligned}, offset, "write"));
    }
    if (aligned == n) return Status::OK();
    return PwriteAll(fd, {data + aligned, n - aligned}, offset + aligned, "write");
  }
  std::unique_lock<std::mutex> lock;
  if (write_mu) lock = std::unique_lock(*write_mu);
  return WriteInPieces(fd, data, n, offset);
}

// Reads [offset, offset + length) of the object into the file at the same offset
// (WriteRange says how).
Status CopyRangeToFile(ObjectReader& reader, BufferPool& buffers, int fd, int direct_fd,
                       std::mutex* write_mu, uint64_t offset, uint64_t length, Progress& progress) {
  // Bytes the reader already holds (a small object's whole body, checked when it arrived) go
  // to the file without another copy.
  auto held = reader.Extents(offset, length);
  if (held.size() == 1 && held[0].fd < 0 && held[0].bytes.size() == length) {
    std::unique_lock<std::mutex> lock;
    if (write_mu) lock = std::unique_lock(*write_mu);
    FERRY_RETURN_IF_ERROR(WriteInPieces(fd, held[0].bytes.data(), held[0].bytes.size(), offset));
    progress.Bytes(length);
    return Status::OK();
  }
  // Not zero-filled: every byte written below was first read into it. Page-aligned, as
  // direct I/O needs, and reused: a fresh 8 MiB buffer per part cost 2,048 page faults, a
  // third of a large download's CPU.
  const size_t buf_size = static_cast<size_t>(std::min<uint64_t>(
      (std::max<uint64_t>(length, 1) + kDirectAlign - 1) / kDirectAlign * kDirectAlign,
      kDownloadBufferBytes));
  std::shared_ptr<char[]> buf = buffers.Get(buf_size);
  if (!buf) return Status::ResourceExhausted("no memory for a download buffer");
  while (length > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(length, buf_size));
    auto n = reader.ReadAt(offset, std::span<char>(buf.get(), want));
    if (!n.ok()) return n.status();
    if (*n == 0) return Status::Unavailable("object ended early").WithRetryable(false);
    FERRY_RETURN_IF_ERROR(WriteRange(fd, direct_fd, write_mu, buf.get(), *n, offset));
    progress.Bytes(*n);
    offset += *n;
    length -= *n;
  }
  return Status::OK();
}

bool IsSymlinkMode(const s3::PosixAttributes& a) {
  return a.mode && S_ISLNK(*a.mode);
}

}  // namespace

struct TransferEngine::RangedDownload {
  DownloadJob job;
  std::shared_ptr<ObjectReader> reader;
  std::optional<StagedFile> file;
  uint64_t size = 0;
  std::atomic<size_t> remaining{0};
  std::mutex mu;
  Status failed;        // guarded by mu
  std::mutex write_mu;  // held while writing into fd
  Fd direct_fd;         // the file opened again for direct I/O, when the file system allows
};

void TransferEngine::RunDownload(const DownloadJob& job) {
  std::string what = "s3://" + job.bucket + "/" + job.key;
  auto opened = store_.OpenObject(job.bucket, job.key, OpenHints{job.size});
  if (!opened.ok()) return Failed(job.done, what, opened.status());
  std::shared_ptr<ObjectReader> reader = std::move(opened).value();
  const ObjectMeta& meta = reader->meta();
  auto attrs = s3::DecodePosixAttributes(meta.headers.user_metadata);
  if (job.key.ends_with('/') && meta.size == 0) {
    // A directory marker.
    std::error_code ec;
    std::filesystem::create_directories(job.path, ec);
    if (ec) return Failed(job.done, job.path, Status::IOError(job.path + ": " + ec.message()));
    if (options_.preserve_posix && attrs.mode && S_ISDIR(*attrs.mode)) {
      Fd dir(::open(job.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      Status applied = dir.get() < 0
                           ? Status::FromErrno(job.path, errno)
                           : ApplyAttributes(dir.get(), attrs, umask_, options_.restore_owner);
      if (!applied.ok()) return Failed(job.done, job.path, applied.Annotate(job.path));
    }
    return Completed(job.done, {Status::OK(), 0, meta, attrs});
  }
  if (IsSymlinkMode(attrs) && meta.size < 4096) {
    Status st = MakeParentDirs(job.path);
    if (!st.ok()) return Failed(job.done, job.path, st);
    std::string target(meta.size, '\0');
    auto n = reader->ReadAt(0, std::span<char>(target.data(), target.size()));
    if (!n.ok()) return Failed(job.done, what, n.status());
    target.resize(*n);
    ::unlink(job.path.c_str());
    if (::symlink(target.c_str(), job.path.c_str()) != 0) {
      return Failed(job.done, job.path, Status::FromErrno(job.path, errno));
    }
    if (options_.preserve_posix) {
      Status applied = ApplyLinkAttributes(job.path, attrs, options_.restore_owner);
      if (!applied.ok()) return Failed(job.done, job.path, applied);
    }
    return Completed(job.done, {Status::OK(), meta.size, meta, attrs});
  }
  auto download = std::make_shared<RangedDownload>();
  download->job = job;
  download->reader = reader;
  download->size = meta.size;
  auto file = StagedFile::Create(job.path);
  if (!file.ok()) return Failed(job.done, job.path, file.status());
  download->file.emplace(std::move(file).value());
  if (meta.size <= options_.multipart_threshold) {
    download->remaining = 1;
    DownloadRange(download, 0);  // one range: the whole object, on this worker
    return;
  }
  // Ranges land out of order: size the file first (one range written in order needs not),
  // with its blocks allocated where the file system can, so that parallel direct writes
  // into it never extend it.
  const int fd = download->file->fd();
  if (::fallocate(fd, 0, 0, static_cast<off_t>(meta.size)) != 0 &&
      ::ftruncate(fd, static_cast<off_t>(meta.size)) != 0) {
    Status err = Status::FromErrno(job.path, errno);
    download->file->Abandon();
    return Failed(job.done, job.path, err);
  }
  if (options_.part_size % kDirectAlign == 0) {
    const std::string self = "/proc/self/fd/" + std::to_string(fd);
    download->direct_fd = Fd(::open(self.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC));
  }
  size_t parts = static_cast<size_t>((meta.size + options_.part_size - 1) / options_.part_size);
  download->remaining = parts;
  for (size_t i = 0; i < parts; ++i) {
    pool_.Submit([this, download, i] { DownloadRange(download, i); },
                 ThreadPool::Priority::kUrgent);
  }
}

void TransferEngine::DownloadRange(const std::shared_ptr<RangedDownload>& download, size_t index) {
  bool failed;
  {
    std::lock_guard lock(download->mu);
    if (download->failed.ok() && Interrupted()) {
      download->failed = Status::Cancelled("interrupted");
    }
    failed = !download->failed.ok();
  }
  if (!failed) {
    uint64_t offset, length;
    if (download->size <= options_.multipart_threshold) {
      offset = 0;
      length = download->size;
    } else {
      offset = index * options_.part_size;
      length = std::min<uint64_t>(options_.part_size, download->size - offset);
    }
    Status st = CopyRangeToFile(
        *download->reader, *buffers_, download->file->fd(), download->direct_fd.get(),
        download->size <= options_.multipart_threshold ? nullptr : &download->write_mu, offset,
        length, progress_);
    if (!st.ok()) {
      std::lock_guard lock(download->mu);
      if (download->failed.ok()) download->failed = st;
    }
  }
  if (download->remaining.fetch_sub(1) == 1) FinishDownload(download);
}

void TransferEngine::FinishDownload(const std::shared_ptr<RangedDownload>& download) {
  const DownloadJob& job = download->job;
  Status failed;
  {
    std::lock_guard lock(download->mu);
    failed = download->failed;
  }
  s3::PosixAttributes attrs;
  if (failed.ok()) {
    const ObjectMeta& meta = download->reader->meta();
    attrs = options_.preserve_posix ? s3::DecodePosixAttributes(meta.headers.user_metadata)
                                    : s3::PosixAttributes{};
    // As the AWS CLI does: without a stored mtime the file gets the object's Last-Modified,
    // so a later sync compares like with like.
    if (!attrs.mtime_ns && meta.last_modified_ns > 0) attrs.mtime_ns = meta.last_modified_ns;
    failed = ApplyAttributes(download->file->fd(), attrs, umask_, options_.restore_owner)
                 .Annotate(job.path);
  }
  download->direct_fd = Fd();
  if (failed.ok()) failed = download->file->Commit();
  download->file->Abandon();
  if (!failed.ok()) {
    return Failed(job.done, "s3://" + job.bucket + "/" + job.key, failed);
  }
  Completed(job.done, {Status::OK(), download->size, download->reader->meta(), attrs});
}

}  // namespace ferry::transfer
