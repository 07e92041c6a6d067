#include "s3client/s3_writer.h"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "core/checksum.h"
#include "s3/errors.h"
#include "s3/http_semantics.h"
#include "s3client/s3_multipart.h"
#include "s3client/s3_object_headers.h"
#include "s3client/s3_segments.h"
#include "s3client/s3_upload.h"
#include "store/body_digests.h"

namespace ferry {
namespace {

// The caller's expectations over the whole body (PutObjectRequest::checksum with a value or
// SetExpectedChecksum, and Content-MD5), hashed in Append order.
class WholeBodyCheck {
 public:
  WholeBodyCheck(const std::optional<ObjectChecksum>& checksum, std::string content_md5)
      : content_md5_(std::move(content_md5)) {
    if (checksum && checksum->algorithm != ChecksumAlgorithm::kNone) {
      algorithm_ = checksum->algorithm;
      expected_ = checksum->value;
      hasher_ = NewHasher(*DigestKindFor(algorithm_));
    }
    if (!content_md5_.empty()) md5_ = NewHasher(DigestKind::kMd5);
  }

  bool active() const { return hasher_ || md5_; }
  void Update(std::span<const char> data) {
    if (hasher_) hasher_->Update(data);
    if (md5_) md5_->Update(data);
  }
  Status UpdateFile(int fd, uint64_t offset, uint64_t length) {
    if (!active()) return Status::OK();
    return HashBody(UploadBody{{}, fd, offset, length}, hasher_.get(), md5_.get());
  }
  void SetExpected(const ObjectChecksum& c) {
    set_algorithm_ = c.algorithm;
    expected_ = c.value;
  }
  Status Verify() {
    // Checked here as a server would, so that every store answers the same.
    if (md5_) FERRY_RETURN_IF_ERROR(CheckContentMd5(content_md5_, md5_->Finish()));
    if (set_algorithm_ != ChecksumAlgorithm::kNone && set_algorithm_ != algorithm_) {
      return Status::InvalidArgument(
          "an expected checksum needs its algorithm declared in PutObjectRequest::checksum");
    }
    if (hasher_) {
      actual_ = Base64Encode(hasher_->Finish());
      if (!expected_.empty() && actual_ != expected_) {
        return s3err::BadDigest("The " + std::string(ChecksumAlgorithmName(algorithm_)) +
                                " you specified did not match the calculated checksum.");
      }
    }
    return Status::OK();
  }

 private:
  std::string content_md5_;
  ChecksumAlgorithm algorithm_ = ChecksumAlgorithm::kNone;
  ChecksumAlgorithm set_algorithm_ = ChecksumAlgorithm::kNone;
  std::string expected_;
  std::string actual_;
  std::unique_ptr<Hasher> hasher_;
  std::unique_ptr<Hasher> md5_;
};

ChecksumAlgorithm UploadAlgorithm(const std::optional<ObjectChecksum>& requested,
                                  ChecksumAlgorithm fallback) {
  return requested && requested->algorithm != ChecksumAlgorithm::kNone ? requested->algorithm
                                                                       : fallback;
}

Status TooMuch(uint64_t declared) {
  return Status::InvalidArgument("more bytes appended than the declared size " +
                                 std::to_string(declared));
}

class S3ObjectWriter final : public ObjectWriter {
 public:
  S3ObjectWriter(S3Transport& transport, ThreadPool& pool, const PutObjectRequest& req)
      : transport_(transport),
        pool_(pool),
        req_(req),
        algorithm_(UploadAlgorithm(req.checksum, transport.options().checksum_algorithm)),
        part_size_(ChoosePartSize(req.size.value_or(0), transport.options().part_size)),
        max_inflight_(std::max<size_t>(1, transport.options().upload_concurrency)),
        check_(req.checksum, req.content_md5) {}

  ~S3ObjectWriter() override {
    (void)WaitAll();
    if (!upload_id_.empty()) (void)AbortUpload(transport_, req_.bucket, req_.key, upload_id_);
  }

  Status Append(std::span<const char> data) override {
    FERRY_RETURN_IF_ERROR(Admit(data.size()));
    check_.Update(data);
    while (!data.empty()) {
      size_t piece = static_cast<size_t>(std::min<uint64_t>(data.size(), part_size_));
      queue_.Append(data.first(piece));
      data = data.subspan(piece);
      FERRY_RETURN_IF_ERROR(Drain(/*final=*/false));
    }
    return Status::OK();
  }

  Status AppendFile(int fd, uint64_t offset, uint64_t length) override {
    FERRY_RETURN_IF_ERROR(Admit(length));
    FERRY_RETURN_IF_ERROR(check_.UpdateFile(fd, offset, length));
    queue_.AppendFile(fd, offset, length);
    return Drain(/*final=*/false);
  }

  void SetExpectedChecksum(const ObjectChecksum& checksum) override {
    check_.SetExpected(checksum);
  }

  Result<ObjectMeta> Commit() override {
    if (finished_) return Status::InvalidArgument("Commit called twice");
    finished_ = true;
    auto meta = CommitInner();
    if (!meta.ok() && !upload_id_.empty()) {
      (void)WaitAll();
      (void)AbortUpload(transport_, req_.bucket, req_.key, upload_id_);
      upload_id_.clear();
    }
    return meta;
  }

 private:
  Status Admit(uint64_t n) {
    if (finished_) return Status::InvalidArgument("writer already committed");
    {
      std::lock_guard lock(mu_);
      if (!failed_.ok()) return failed_;
    }
    total_ += n;
    if (req_.size && total_ > *req_.size) return TooMuch(*req_.size);
    return Status::OK();
  }

  // Sends full parts; with final, also the rest as the last part of a started upload.
  Status Drain(bool final) {
    while (queue_.size() > part_size_ || (final && !upload_id_.empty() && queue_.size() > 0)) {
      if (upload_id_.empty()) FERRY_RETURN_IF_ERROR(StartMultipart());
      FERRY_ASSIGN_OR_RETURN(OwnedBody body, queue_.Take(std::min(part_size_, queue_.size())));
      FERRY_RETURN_IF_ERROR(SubmitPart(std::move(body)));
    }
    return Status::OK();
  }

  Status StartMultipart() {
    CreateMultipartRequest create;
    create.bucket = req_.bucket;
    create.key = req_.key;
    create.headers = req_.headers;
    create.checksum_algorithm = algorithm_;
    FERRY_ASSIGN_OR_RETURN(upload_id_, CreateUpload(transport_, create));
    return Status::OK();
  }

  Status SubmitPart(OwnedBody body) {
    int number = static_cast<int>(parts_.size()) + 1;
    if (number > kMaxParts) {
      return Status::InvalidArgument(S3Url(req_.bucket, req_.key) + ": more than 10,000 parts of " +
                                     std::to_string(part_size_) +
                                     " bytes; declare the size or raise part_size");
    }
    {
      std::unique_lock lock(mu_);
      idle_.wait(lock, [&] { return inflight_ < max_inflight_; });
      if (!failed_.ok()) return failed_;
      ++inflight_;
      parts_.push_back(CompletedPart{number, "", ""});
      part_sizes_.push_back(body.size());
    }
    auto shared = std::make_shared<OwnedBody>(std::move(body));
    pool_.Submit([this, number, shared] {
      UploadRequest up;
      up.op = "UploadPart";
      up.bucket = req_.bucket;
      up.key = req_.key;
      up.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id_}};
      up.checksum_algorithm = algorithm_;
      auto done = UploadVerified(transport_, up, shared->view());
      std::lock_guard lock(mu_);
      if (done.ok()) {
        parts_[number - 1].etag = done->etag;
        parts_[number - 1].checksum = done->checksum;
      } else if (failed_.ok()) {
        failed_ = done.status().Annotate("part " + std::to_string(number));
      }
      --inflight_;
      idle_.notify_all();
    });
    return Status::OK();
  }

  Status WaitAll() {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [&] { return inflight_ == 0; });
    return failed_;
  }

  Result<ObjectMeta> CommitInner() {
    {
      std::lock_guard lock(mu_);
      if (!failed_.ok()) return failed_;
    }
    if (req_.size && total_ != *req_.size) {
      return s3err::IncompleteBody(
          "You did not provide the number of bytes specified by the "
          "Content-Length HTTP header: " +
          std::to_string(total_) + " of " + std::to_string(*req_.size));
    }
    FERRY_RETURN_IF_ERROR(check_.Verify());
    ObjectMeta meta;
    meta.key = req_.key;
    meta.size = total_;
    meta.headers = req_.headers;
    if (upload_id_.empty()) {
      FERRY_ASSIGN_OR_RETURN(OwnedBody body, queue_.Take(queue_.size()));
      UploadRequest up;
      up.bucket = req_.bucket;
      up.key = req_.key;
      up.checksum_algorithm = algorithm_;
      AppendObjectHeaders(req_.headers, up.headers);
      if (req_.if_none_match_star) up.headers.emplace_back("If-None-Match", "*");
      if (!req_.if_match_etag.empty()) {
        // Unquoted: S3 takes either form, and Ceph RGW 16 compares a write's If-Match with
        // the bare ETag (a quoted one always fails).
        up.headers.emplace_back("If-Match", std::string(s3::UnquoteEtag(req_.if_match_etag)));
      }
      if (!req_.content_md5.empty()) up.headers.emplace_back("Content-MD5", req_.content_md5);
      FERRY_ASSIGN_OR_RETURN(UploadOutcome done, UploadVerified(transport_, up, body.view()));
      meta.etag = done.etag;
      meta.last_modified_ns = done.date_ns ? done.date_ns : transport_.options().clock->NowNanos();
      meta.checksum = done.echoed;  // what the server stored, not what we sent
      return meta;
    }
    FERRY_RETURN_IF_ERROR(Drain(/*final=*/true));
    FERRY_RETURN_IF_ERROR(WaitAll());
    CompleteMultipartRequest complete;
    complete.bucket = req_.bucket;
    complete.key = req_.key;
    complete.upload_id = upload_id_;
    complete.parts = parts_;
    complete.if_none_match_star = req_.if_none_match_star;
    complete.if_match_etag = req_.if_match_etag;
    FERRY_ASSIGN_OR_RETURN(s3::CompleteMultipartResult done,
                           CompleteUpload(transport_, complete, algorithm_));
    upload_id_.clear();  // completed: nothing to abort any more
    meta.etag = done.etag;
    meta.last_modified_ns = transport_.options().clock->NowNanos();
    meta.parts_count = static_cast<int>(parts_.size());
    meta.part_sizes = part_sizes_;
    std::string composite = CompositeChecksum(algorithm_, parts_);
    if (done.checksum && done.checksum->composite && done.checksum->algorithm == algorithm_ &&
        !composite.empty() && done.checksum->value != composite) {
      return Status::Corruption(S3Url(req_.bucket, req_.key) + ": the server's composite " +
                                std::string(ChecksumAlgorithmName(algorithm_)) + " " +
                                done.checksum->value + " is not that of the parts sent, " +
                                composite);
    }
    meta.checksum = done.checksum;
    return meta;
  }

  S3Transport& transport_;
  ThreadPool& pool_;
  const PutObjectRequest req_;
  const ChecksumAlgorithm algorithm_;
  const uint64_t part_size_;
  const size_t max_inflight_;
  WholeBodyCheck check_;
  SegmentQueue queue_;
  uint64_t total_ = 0;
  bool finished_ = false;
  std::string upload_id_;  // non-empty while a multipart upload is open

  std::mutex mu_;
  std::condition_variable idle_;      // inflight_ went down
  size_t inflight_ = 0;               // guarded by mu_
  Status failed_;                     // guarded by mu_: the first part that failed
  std::vector<CompletedPart> parts_;  // guarded by mu_
  std::vector<uint64_t> part_sizes_;  // guarded by mu_
};

class S3PartWriter final : public ObjectWriter {
 public:
  S3PartWriter(S3Transport& transport, const UploadPartRequest& req)
      : transport_(transport), req_(req) {
    if (req.checksum) expected_ = *req.checksum;
  }

  Status Append(std::span<const char> data) override {
    FERRY_RETURN_IF_ERROR(Admit(data.size()));
    queue_.Append(data);
    return Status::OK();
  }
  Status AppendFile(int fd, uint64_t offset, uint64_t length) override {
    FERRY_RETURN_IF_ERROR(Admit(length));
    queue_.AppendFile(fd, offset, length);
    return Status::OK();
  }
  void SetExpectedChecksum(const ObjectChecksum& checksum) override { expected_ = checksum; }

  Result<ObjectMeta> Commit() override {
    if (finished_) return Status::InvalidArgument("Commit called twice");
    finished_ = true;
    if (req_.size && queue_.size() != *req_.size) {
      return s3err::IncompleteBody("part " + std::to_string(req_.part_number) + ": " +
                                   std::to_string(queue_.size()) + " of " +
                                   std::to_string(*req_.size) + " bytes");
    }
    uint64_t size = queue_.size();
    FERRY_ASSIGN_OR_RETURN(OwnedBody body, queue_.Take(size));
    // Parts carry a checksum only when asked: S3 refuses one the upload was not created with.
    ChecksumAlgorithm algorithm = expected_ ? expected_->algorithm : ChecksumAlgorithm::kNone;
    if (expected_ && !expected_->value.empty()) {
      FERRY_ASSIGN_OR_RETURN(std::string actual, ChecksumOfBody(body.view(), algorithm));
      if (actual != expected_->value) {
        return s3err::BadDigest("The " + std::string(ChecksumAlgorithmName(algorithm)) +
                                " you specified did not match the calculated checksum.");
      }
    }
    UploadRequest up;
    up.op = "UploadPart";
    up.bucket = req_.bucket;
    up.key = req_.key;
    up.query = {{"partNumber", std::to_string(req_.part_number)}, {"uploadId", req_.upload_id}};
    up.checksum_algorithm = algorithm;
    if (!req_.content_md5.empty()) up.headers.emplace_back("Content-MD5", req_.content_md5);
    FERRY_ASSIGN_OR_RETURN(UploadOutcome done, UploadVerified(transport_, up, body.view()));
    ObjectMeta meta;
    meta.key = req_.key;
    meta.size = size;
    meta.etag = done.etag;
    meta.last_modified_ns = done.date_ns ? done.date_ns : transport_.options().clock->NowNanos();
    meta.checksum = done.echoed;  // what the server stored, not what we sent
    return meta;
  }

 private:
  Status Admit(uint64_t n) {
    if (finished_) return Status::InvalidArgument("writer already committed");
    if (req_.size && queue_.size() + n > *req_.size) return TooMuch(*req_.size);
    if (queue_.size() + n > kMaxPartSize) {
      return s3err::EntityTooLarge("a part may hold at most 5 GiB");
    }
    return Status::OK();
  }

  S3Transport& transport_;
  const UploadPartRequest req_;
  std::optional<ObjectChecksum> expected_;
  SegmentQueue queue_;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<ObjectWriter> NewS3ObjectWriter(S3Transport& transport, ThreadPool& pool,
                                                const PutObjectRequest& req) {
  return std::make_unique<S3ObjectWriter>(transport, pool, req);
}

std::unique_ptr<ObjectWriter> NewS3PartWriter(S3Transport& transport,
                                              const UploadPartRequest& req) {
  return std::make_unique<S3PartWriter>(transport, req);
}

}  // namespace ferry
