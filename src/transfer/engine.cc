// TransferEngine: job intake, uploads, copies and the summary. Downloads: download.cc.
#include "transfer/engine.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "core/checksum.h"
#include "s3/http_semantics.h"
#include "transfer/content_type.h"
#include "transfer/local_file.h"

namespace ferry::transfer {

struct TransferEngine::MultipartUpload {
  UploadJob job;
  s3::PosixAttributes attrs;
  UploadIdentity identity;
  // Parts an earlier, interrupted run of this upload stored (resumed uploads only).
  std::vector<std::optional<PartInfo>> stored;
  Fd fd;
  uint64_t size = 0;
  std::string upload_id;
  std::vector<CompletedPart> parts;
  std::atomic<size_t> remaining{0};
  std::atomic<uint64_t> reused_bytes{0};
  std::mutex mu;
  Status failed;  // guarded by mu; the first part failure
};

TransferEngine::TransferEngine(ObjectStore& store, const TransferOptions& options,
                               Progress& progress)
    : store_(store),
      options_(options),
      progress_(progress),
      umask_(ReadUmask()),
      buffers_(BufferPool::Create(std::max<size_t>(options.transfers, 1) * kDownloadBufferBytes)),
      pool_(std::max<size_t>(options.transfers, 1)) {}

TransferEngine::~TransferEngine() {
  pool_.WaitIdle();
}

void TransferEngine::WaitForRoom() {
  pool_.WaitForRoom(2 * pool_.size());
}

void TransferEngine::Upload(UploadJob job) {
  WaitForRoom();
  pool_.Submit([this, job = std::move(job)] {
    if (!EndIfInterrupted(job.done)) RunUpload(job);
  });
}

void TransferEngine::Download(DownloadJob job) {
  WaitForRoom();
  pool_.Submit([this, job = std::move(job)] {
    if (!EndIfInterrupted(job.done)) RunDownload(job);
  });
}

void TransferEngine::Copy(CopyJob job) {
  WaitForRoom();
  pool_.Submit([this, job = std::move(job)] {
    if (!EndIfInterrupted(job.done)) RunCopy(job);
  });
}

TransferSummary TransferEngine::Finish() {
  pool_.WaitIdle();
  std::lock_guard lock(mu_);
  summary_.seconds = progress_.Snapshot().elapsed_seconds;
  return summary_;
}

bool TransferEngine::EndIfInterrupted(const JobDone& done) {
  if (!Interrupted()) return false;
  Failed(done, "", Status::Cancelled("interrupted"));
  return true;
}

void TransferEngine::RecordError(const std::string& what, const Status& status) {
  if (status.code() == Status::Code::kCancelled && Interrupted()) {
    std::lock_guard lock(mu_);
    ++summary_.interrupted;
    return;
  }
  progress_.ObjectFailed();
  std::lock_guard lock(mu_);
  ++summary_.failed;
  if (summary_.errors.size() < TransferSummary::kMaxErrors) {
    summary_.errors.push_back({what, status});
  }
}

void TransferEngine::Completed(const JobDone& done, JobOutcome outcome) {
  if (done) done(outcome);
  Succeeded(outcome.bytes);
}

void TransferEngine::Failed(const JobDone& done, const std::string& what, const Status& status) {
  if (done) {
    JobOutcome outcome;
    outcome.status = status;
    done(outcome);
  }
  RecordError(what, status);
}

void TransferEngine::Succeeded(uint64_t bytes) {
  progress_.ObjectDone();
  std::lock_guard lock(mu_);
  ++summary_.objects;
  summary_.bytes += bytes;
}

void TransferEngine::RunUpload(const UploadJob& job) {
  const std::string what = "s3://" + job.bucket + "/" + job.key;
  struct stat st;
  Fd fd;
  if (job.preserve_links) {
    if (::lstat(job.path.c_str(), &st) != 0) {
      return Failed(job.done, job.path, Status::FromErrno(job.path, errno));
    }
    if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode)) return UploadSpecial(job, st);
  }
  fd = Fd(::open(job.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Failed(job.done, job.path, Status::FromErrno(job.path, errno));
  if (::fstat(fd.get(), &st) != 0) {
    return Failed(job.done, job.path, Status::FromErrno(job.path, errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Failed(job.done, job.path, Status::InvalidArgument(job.path + ": not a regular file"));
  }
  ObjectHeaders headers;
  headers.content_type = GuessContentType(job.path);
  s3::PosixAttributes attrs;
  if (options_.preserve_posix) {
    attrs = AttributesOf(st);
    s3::EncodePosixAttributes(attrs, headers.user_metadata);
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size <= options_.multipart_threshold) {
    PutObjectRequest req;
    req.bucket = job.bucket;
    req.key = job.key;
    req.headers = std::move(headers);
    req.size = size;
    req.checksum = ObjectChecksum{options_.checksum, ""};
    req.if_match_etag = job.replace_etag;
    auto writer = store_.PutObject(req);
    if (!writer.ok()) return Failed(job.done, what, writer.status());
    Status st_append = (*writer)->AppendFile(fd.get(), 0, size);
    if (!st_append.ok()) return Failed(job.done, job.path, st_append);
    auto meta = (*writer)->Commit();
    if (!meta.ok()) return Failed(job.done, what, meta.status());
    progress_.Bytes(size);
    return Completed(job.done, {Status::OK(), size, std::move(meta).value(), attrs});
  }
  auto upload = std::make_shared<MultipartUpload>();
  upload->job = job;
  upload->attrs = attrs;
  upload->fd = std::move(fd);
  upload->size = size;
  upload->identity = {job.bucket, job.key, size,
                      int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec,
                      options_.part_size};
  size_t parts = static_cast<size_t>((size + options_.part_size - 1) / options_.part_size);
  upload->parts.resize(parts);
  upload->stored.resize(parts);
  if (options_.journal) ResumeUpload(*upload);
  if (upload->upload_id.empty()) {
    auto id = CreateUpload(job.bucket, job.key, std::move(headers));
    if (!id.ok()) return Failed(job.done, what, id.status());
    upload->upload_id = std::move(id).value();
    if (options_.journal) options_.journal->Started(upload->identity, upload->upload_id);
  }
  upload->remaining = parts;
  for (size_t i = 0; i < parts; ++i) {
    pool_.Submit([this, upload, i] { UploadPart(upload, i); }, ThreadPool::Priority::kUrgent);
  }
}

void TransferEngine::ResumeUpload(MultipartUpload& upload) {
  auto earlier = options_.journal->Find(upload.identity);
  if (!earlier) return;
  ListPartsRequest req;
  req.bucket = upload.job.bucket;
  req.key = upload.job.key;
  req.upload_id = *earlier;
  for (;;) {
    auto listed = store_.ListParts(req);
    if (!listed.ok()) {
      // Completed, aborted or expired meanwhile: start over.
      options_.journal->Ended(upload.identity);
      std::fill(upload.stored.begin(), upload.stored.end(), std::nullopt);
      return;
    }
    for (auto& part : listed->parts) {
      size_t i = static_cast<size_t>(part.part_number) - 1;
      if (part.part_number < 1 || i >= upload.stored.size()) continue;
      uint64_t offset = i * options_.part_size;
      if (part.size != std::min<uint64_t>(options_.part_size, upload.size - offset)) continue;
      upload.stored[i] = std::move(part);
    }
    if (!listed->truncated) break;
    req.part_number_marker = listed->next_part_number_marker;
  }
  upload.upload_id = *earlier;
}

bool TransferEngine::StoredPartMatches(const MultipartUpload& upload, size_t index, uint64_t offset,
                                       uint64_t length) {
  const PartInfo& part = *upload.stored[index];
  // The stored part is reused only when its checksum (or MD5 ETag) matches the file's bytes.
  DigestKind kind = DigestKind::kMd5;
  std::string expected = part.etag;
  std::transform(expected.begin(), expected.end(), expected.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (part.checksum && !part.checksum->value.empty()) {
    auto k = DigestKindFor(part.checksum->algorithm);
    if (!k) return false;
    kind = *k;
    expected = part.checksum->value;
  } else if (!s3::IsMd5Etag(part.etag)) {
    return false;
  }
  auto hasher = NewHasher(kind);
  std::vector<char> buf(std::min<uint64_t>(length, 4 << 20));
  for (uint64_t done = 0; done < length;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), length - done));
    ssize_t n = ::pread(upload.fd.get(), buf.data(), want, static_cast<off_t>(offset + done));
    if (n <= 0) return false;
    hasher->Update(std::span<const char>(buf.data(), static_cast<size_t>(n)));
    done += static_cast<uint64_t>(n);
  }
  std::string raw = hasher->Finish();
  return (kind == DigestKind::kMd5 ? HexEncode(raw) : Base64Encode(raw)) == expected;
}

void TransferEngine::UploadPart(const std::shared_ptr<MultipartUpload>& upload, size_t index) {
  bool failed;
  {
    std::lock_guard lock(upload->mu);
    if (upload->failed.ok() && Interrupted()) upload->failed = Status::Cancelled("interrupted");
    failed = !upload->failed.ok();
  }
  const uint64_t offset = index * options_.part_size;
  const uint64_t length = std::min<uint64_t>(options_.part_size, upload->size - offset);
  const bool reused =
      !failed && upload->stored[index] && StoredPartMatches(*upload, index, offset, length);
  if (reused) {
    const PartInfo& stored = *upload->stored[index];
    CompletedPart& part = upload->parts[index];
    part.part_number = stored.part_number;
    part.etag = stored.etag;
    if (stored.checksum) part.checksum = stored.checksum->value;
    progress_.Bytes(length);
    upload->reused_bytes += length;
  }
  if (!failed && !reused) {
    UploadPartRequest req;
    req.bucket = upload->job.bucket;
    req.key = upload->job.key;
    req.upload_id = upload->upload_id;
    req.part_number = static_cast<int>(index + 1);
    req.size = length;
    req.checksum = ObjectChecksum{options_.checksum, ""};
    Status st;
    auto writer = store_.UploadPart(req);
    if (!writer.ok()) st = writer.status();
    if (st.ok()) st = (*writer)->AppendFile(upload->fd.get(), offset, length);
    if (st.ok()) {
      auto meta = (*writer)->Commit();
      if (meta.ok()) {
        CompletedPart& part = upload->parts[index];
        part.part_number = req.part_number;
        part.etag = meta->etag;
        if (meta->checksum) part.checksum = meta->checksum->value;
        progress_.Bytes(length);
      } else {
        st = meta.status();
      }
    }
    if (!st.ok()) {
      std::lock_guard lock(upload->mu);
      if (upload->failed.ok()) upload->failed = st;
    }
  }
  if (upload->remaining.fetch_sub(1) == 1) FinishUpload(upload);
}

void TransferEngine::FinishUpload(const std::shared_ptr<MultipartUpload>& upload) {
  const UploadJob& job = upload->job;
  std::string what = "s3://" + job.bucket + "/" + job.key;
  Status failed;
  {
    std::lock_guard lock(upload->mu);
    failed = upload->failed;
  }
  if (failed.ok()) {
    CompleteMultipartRequest complete;
    complete.bucket = job.bucket;
    complete.key = job.key;
    complete.upload_id = upload->upload_id;
    complete.parts = upload->parts;
    complete.if_match_etag = job.replace_etag;
    auto meta = store_.CompleteMultipartUpload(complete);
    if (meta.ok()) {
      if (options_.journal) options_.journal->Ended(upload->identity);
      return Completed(job.done, {Status::OK(), upload->size, std::move(meta).value(),
                                  upload->attrs, upload->reused_bytes.load()});
    }
    failed = meta.status();
  }
  // An interrupted upload that the journal knows is continued by the next run: its parts stay.
  if (failed.code() == Status::Code::kCancelled && options_.journal) {
    return Failed(job.done, what, failed);
  }
  // Leave no orphaned parts behind; the abort's own failure is secondary.
  (void)store_.AbortMultipartUpload(job.bucket, job.key, upload->upload_id);
  if (options_.journal) options_.journal->Ended(upload->identity);
  Failed(job.done, what, failed);
}

void TransferEngine::UploadSpecial(const UploadJob& job, const struct stat& st) {
  const std::string what = "s3://" + job.bucket + "/" + job.key;
  std::string body;
  if (S_ISLNK(st.st_mode)) {
    body.resize(static_cast<size_t>(std::max<off_t>(st.st_size, 0)) + 1);
    ssize_t n = ::readlink(job.path.c_str(), body.data(), body.size());
    if (n < 0) return Failed(job.done, job.path, Status::FromErrno(job.path, errno));
    body.resize(static_cast<size_t>(n));
  }
  PutObjectRequest req;
  req.bucket = job.bucket;
  req.key = job.key;
  s3::PosixAttributes attrs = AttributesOf(st);
  s3::EncodePosixAttributes(attrs, req.headers.user_metadata);
  req.size = body.size();
  req.checksum = ObjectChecksum{options_.checksum, ""};
  req.if_match_etag = job.replace_etag;
  auto writer = store_.PutObject(req);
  if (!writer.ok()) return Failed(job.done, what, writer.status());
  Status appended = (*writer)->Append(std::span<const char>(body.data(), body.size()));
  if (!appended.ok()) return Failed(job.done, what, appended);
  auto meta = (*writer)->Commit();
  if (!meta.ok()) return Failed(job.done, what, meta.status());
  progress_.Bytes(body.size());
  Completed(job.done, {Status::OK(), body.size(), std::move(meta).value(), attrs});
}

Result<std::string> TransferEngine::CreateUpload(const std::string& bucket, const std::string& key,
                                                 ObjectHeaders headers) {
  CreateMultipartRequest create;
  create.bucket = bucket;
  create.key = key;
  create.headers = std::move(headers);
  create.checksum_algorithm = options_.checksum;
  FERRY_ASSIGN_OR_RETURN(auto info, store_.CreateMultipartUpload(create));
  return std::move(info.upload_id);
}

void TransferEngine::StreamCopy(const CopyJob& job) {
  const std::string what = "s3://" + job.dst_bucket + "/" + job.dst_key;
  const std::string source = "s3://" + job.src_bucket + "/" + job.src_key;
  auto opened = job.source_store->OpenObject(job.src_bucket, job.src_key);
  if (!opened.ok()) return Failed(job.done, source, opened.status());
  ObjectReader& reader = **opened;
  const ObjectMeta& meta = reader.meta();
  ObjectHeaders headers = job.replace_headers ? *job.replace_headers : meta.headers;
  // Sends [offset, offset + length) of the source to writer, a window at a time.
  std::vector<char> buf(static_cast<size_t>(std::min<uint64_t>(
      std::max<uint64_t>(meta.size, 1), std::min<uint64_t>(options_.part_size, 8 << 20))));
  auto pump = [&](ObjectWriter& writer, uint64_t offset, uint64_t length) -> Status {
    while (length > 0) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(length, buf.size()));
      FERRY_ASSIGN_OR_RETURN(size_t n, reader.ReadAt(offset, std::span<char>(buf.data(), want)));
      if (n == 0) return Status::Unavailable(source + ": ended early");
      FERRY_RETURN_IF_ERROR(writer.Append(std::span<const char>(buf.data(), n)));
      progress_.Bytes(n);
      offset += n;
      length -= n;
    }
    return Status::OK();
  };
  if (meta.size <= options_.multipart_threshold) {
    PutObjectRequest req;
    req.bucket = job.dst_bucket;
    req.key = job.dst_key;
    req.headers = std::move(headers);
    req.size = meta.size;
    req.checksum = ObjectChecksum{options_.checksum, ""};
    auto writer = store_.PutObject(req);
    if (!writer.ok()) return Failed(job.done, what, writer.status());
    Status st = pump(**writer, 0, meta.size);
    if (!st.ok()) return Failed(job.done, what, st);
    auto stored = (*writer)->Commit();
    if (!stored.ok()) return Failed(job.done, what, stored.status());
    return Completed(job.done, {Status::OK(), meta.size, std::move(stored).value(),
                                s3::DecodePosixAttributes(meta.headers.user_metadata)});
  }
  auto upload_id = CreateUpload(job.dst_bucket, job.dst_key, std::move(headers));
  if (!upload_id.ok()) return Failed(job.done, what, upload_id.status());
  CompleteMultipartRequest complete;
  complete.bucket = job.dst_bucket;
  complete.key = job.dst_key;
  complete.upload_id = *upload_id;
  Status st;
  for (uint64_t offset = 0; st.ok() && offset < meta.size; offset += options_.part_size) {
    UploadPartRequest req;
    req.bucket = job.dst_bucket;
    req.key = job.dst_key;
    req.upload_id = *upload_id;
    req.part_number = static_cast<int>(offset / options_.part_size) + 1;
    req.size = std::min<uint64_t>(options_.part_size, meta.size - offset);
    req.checksum = ObjectChecksum{options_.checksum, ""};
    auto writer = store_.UploadPart(req);
    if (!writer.ok()) {
      st = writer.status();
      break;
    }
    st = pump(**writer, offset, *req.size);
    if (!st.ok()) break;
    auto part = (*writer)->Commit();
    if (!part.ok()) {
      st = part.status();
      break;
    }
    CompletedPart done_part;
    done_part.part_number = req.part_number;
    done_part.etag = part->etag;
    if (part->checksum) done_part.checksum = part->checksum->value;
    complete.parts.push_back(std::move(done_part));
  }
  if (st.ok()) {
    auto stored = store_.CompleteMultipartUpload(complete);
    if (stored.ok()) {
      return Completed(job.done, {Status::OK(), meta.size, std::move(stored).value(),
                                  s3::DecodePosixAttributes(meta.headers.user_metadata)});
    }
    st = stored.status();
  }
  (void)store_.AbortMultipartUpload(job.dst_bucket, job.dst_key, *upload_id);
  Failed(job.done, what, st);
}

void TransferEngine::RunCopy(const CopyJob& job) {
  if (job.source_store && job.source_store != &store_) return StreamCopy(job);
  const std::string what = "s3://" + job.dst_bucket + "/" + job.dst_key;
  CopyObjectRequest req;
  req.src_bucket = job.src_bucket;
  req.src_key = job.src_key;
  req.dst_bucket = job.dst_bucket;
  req.dst_key = job.dst_key;
  if (job.replace_headers) {
    req.replace_metadata = true;
    req.headers = *job.replace_headers;
  }
  auto meta = store_.CopyObject(req);
  if (!meta.ok()) return Failed(job.done, what, meta.status());
  uint64_t size = meta->size;
  progress_.Bytes(size);
  s3::PosixAttributes attrs = job.replace_headers
                                  ? s3::DecodePosixAttributes(job.replace_headers->user_metadata)
                                  : s3::PosixAttributes{};
  Completed(job.done, {Status::OK(), size, std::move(meta).value(), attrs});
}

}  // namespace ferry::transfer
