#include "s3client/s3_reader.h"

#include <cstring>
#include <mutex>

#include "core/checksum.h"
#include "s3/http_semantics.h"
#include "s3client/s3_object_headers.h"

namespace ferry {
namespace {

// What a whole-object read is checked against.
struct Expectation {
  DigestKind kind = DigestKind::kMd5;
  std::string value;  // base64 for checksums, hex for MD5; empty: nothing to check
  std::string name;   // "CRC32C", "MD5 ETag"
};

bool EtagIsMd5(const http::Headers& h, const ObjectMeta& meta) {
  bool encrypted = h.Has("x-amz-server-side-encryption-customer-algorithm") ||
                   h.GetOr("x-amz-server-side-encryption", "").starts_with("aws:kms");
  return !encrypted && meta.parts_count == 0 && s3::IsMd5Etag(meta.etag);
}

Expectation ExpectationFor(const ObjectMeta& meta, bool etag_is_md5) {
  Expectation e;
  if (meta.checksum && !meta.checksum->composite && !meta.checksum->value.empty()) {
    if (auto kind = DigestKindFor(meta.checksum->algorithm)) {
      e.kind = *kind;
      e.value = meta.checksum->value;
      e.name = std::string(ChecksumAlgorithmName(meta.checksum->algorithm));
      return e;
    }
  }
  if (etag_is_md5) {
    e.kind = DigestKind::kMd5;
    e.value = http::ToLower(meta.etag);
    e.name = "MD5 ETag";
  }
  return e;
}

std::string Encode(const Expectation& e, const std::string& raw) {
  return e.kind == DigestKind::kMd5 ? HexEncode(raw) : Base64Encode(raw);
}

Status Mismatch(std::string_view what, const Expectation& e, const std::string& actual) {
  return Status::Corruption(std::string(what) + ": the body does not match its " + e.name +
                            " (expected " + e.value + ", got " + actual + ")")
      .WithRetryable(true);
}

class S3Reader final : public ObjectReader {
 public:
  // exact_reads: every read is one GET of just its range (no read window), for callers that
  // fetch in their own units.
  S3Reader(S3Transport& transport, std::string bucket, ObjectMeta meta, std::string prefetched,
           bool etag_is_md5, bool exact_reads = false)
      : transport_(transport),
        bucket_(std::move(bucket)),
        meta_(std::move(meta)),
        prefetched_(std::move(prefetched)),
        etag_is_md5_(etag_is_md5),
        exact_reads_(exact_reads) {}

  // For objects larger than the prefetch: learns the full-object checksum with a pinned HEAD
  // and starts the sequential check with the prefetched bytes.
  Status StartVerification() {
    if (meta_.size <= prefetched_.size() || !transport_.options().verify_downloads) {
      return Status::OK();
    }
    S3Call call = Call("HeadObject", "HEAD");
    call.spec.headers.emplace_back("x-amz-checksum-mode", "ENABLED");
    auto head = transport_.Send(call);
    if (!head.ok()) return PinnedError(head.status());
    if (!meta_.checksum) meta_.checksum = ChecksumFromHeaders(head->headers);
    expect_ = ExpectationFor(meta_, etag_is_md5_);
    if (expect_.value.empty()) return Status::OK();
    hasher_ = NewHasher(expect_.kind);
    hasher_->Update(std::string_view(prefetched_));
    hashed_ = prefetched_.size();
    return Status::OK();
  }

  const ObjectMeta& meta() const override { return meta_; }

  Result<size_t> ReadAt(uint64_t offset, std::span<char> out) override {
    return Read(offset, out, nullptr);
  }

  // The bytes are shown as they land in out: a fetched piece of the body as it is copied in,
  // bytes already in memory (prefetched, the read window) as they are copied.
  Result<size_t> ReadAtObserved(uint64_t offset, std::span<char> out,
                                const ArrivalObserver& observer) override {
    return Read(offset, out, &observer);
  }

  std::vector<Extent> Extents(uint64_t offset, uint64_t length) override {
    if (offset + length > prefetched_.size() || offset + length > meta_.size) return {};
    Extent e;
    e.bytes = std::string_view(prefetched_).substr(offset, length);
    e.length = length;
    return {e};
  }

 private:
  S3Call Call(const char* op, const char* method) const {
    S3Call call;
    call.op = op;
    call.spec.method = method;
    call.spec.bucket = bucket_;
    call.spec.key = meta_.key;
    if (!meta_.version_id.empty()) call.spec.query.emplace_back("versionId", meta_.version_id);
    if (!meta_.etag.empty()) call.spec.headers.emplace_back("If-Match", s3::QuoteEtag(meta_.etag));
    return call;
  }

  Result<size_t> Read(uint64_t offset, std::span<char> out, const ArrivalObserver* observer) {
    if (offset >= meta_.size || out.empty()) return size_t{0};
    const size_t n = static_cast<size_t>(std::min<uint64_t>(out.size(), meta_.size - offset));
    auto show = [&](size_t from, size_t length) {
      if (observer) (*observer)(offset + from, std::string_view(out.data() + from, length));
    };
    size_t copied = 0;
    if (offset < prefetched_.size()) {
      copied = static_cast<size_t>(std::min<uint64_t>(n, prefetched_.size() - offset));
      std::memcpy(out.data(), prefetched_.data() + offset, copied);
      show(0, copied);
    }
    const uint64_t window = std::max<uint64_t>(transport_.options().read_window, 1);
    while (copied < n) {
      uint64_t pos = offset + copied;
      {
        std::lock_guard lock(mu_);
        if (pos >= window_offset_ && pos < window_offset_ + window_.size()) {
          size_t k = static_cast<size_t>(
              std::min<uint64_t>(n - copied, window_offset_ + window_.size() - pos));
          std::memcpy(out.data() + copied, window_.data() + (pos - window_offset_), k);
          show(copied, k);
          copied += k;
          continue;
        }
      }
      if (n - copied >= window || exact_reads_) {
        FERRY_RETURN_IF_ERROR(Fetch(pos, n - copied, out.data() + copied, observer));
        copied = n;
        break;
      }
      std::string buf(static_cast<size_t>(std::min<uint64_t>(window, meta_.size - pos)), '\0');
      FERRY_RETURN_IF_ERROR(Fetch(pos, buf.size(), buf.data()));
      std::lock_guard lock(mu_);
      window_ = std::move(buf);
      window_offset_ = pos;
    }
    FERRY_RETURN_IF_ERROR(Observe(offset, std::string_view(out.data(), n)));
    return n;
  }

  Status PinnedError(const Status& st) const {
    if (st.http_status() != 412) return st;
    return Status::PreconditionFailed(S3Url(bucket_, meta_.key) +
                                      ": object changed since it was opened (ETag " + meta_.etag +
                                      " no longer matches)")
        .WithS3Code("PreconditionFailed", 412);
  }

  // Reads [pos, pos + len) of the opened version into dst, resuming after a cut-off body;
  // each piece copied in is shown to observer (once: a resumed body continues after it).
  Status Fetch(uint64_t pos, uint64_t len, char* dst, const ArrivalObserver* observer = nullptr) {
    uint64_t got = 0;
    http::BodySink sink = [&](std::string_view data) -> Status {
      if (data.size() > len - got) {
        return Status::Corruption("server sent more than the requested range");
      }
      std::memcpy(dst + got, data.data(), data.size());
      if (observer) (*observer)(pos + got, std::string_view(dst + got, data.size()));
      got += data.size();
      return Status::OK();
    };
    return transport_.Retry([&](int) -> Status {
      if (got == len) return Status::OK();
      S3Call call = Call("GetObject", "GET");
      uint64_t start = pos + got;
      call.spec.headers.emplace_back(
          "Range", "bytes=" + std::to_string(start) + "-" + std::to_string(pos + len - 1));
      call.sink = &sink;
      auto response = transport_.SendOnce(call);
      if (!response.ok()) return PinnedError(response.status());
      auto range = ParseContentRange(response->headers.GetOr("content-range", ""));
      bool whole = response->status == 200 && start == 0 && len == meta_.size;
      if (!whole && (!range || range->first != start)) {
        return Status::Corruption(S3Url(bucket_, meta_.key) + ": asked for bytes from " +
                                  std::to_string(start) + ", got Content-Range " +
                                  response->headers.GetOr("content-range", "(none)"));
      }
      if (got < len) {
        return Status::Unavailable(S3Url(bucket_, meta_.key) + ": body ended after " +
                                   std::to_string(got) + " of " + std::to_string(len) + " bytes");
      }
      return Status::OK();
    });
  }

  // Feeds in-order bytes to the whole-object check; gives up on the first gap.
  Status Observe(uint64_t offset, std::string_view data) {
    std::lock_guard lock(mu_);
    if (!hasher_) return Status::OK();
    if (offset > hashed_) {
      hasher_.reset();  // read out of order: no whole-object check
      return Status::OK();
    }
    if (offset + data.size() <= hashed_) return Status::OK();
    hasher_->Update(data.substr(static_cast<size_t>(hashed_ - offset)));
    hashed_ = offset + data.size();
    if (hashed_ < meta_.size) return Status::OK();
    std::string actual = Encode(expect_, hasher_->Finish());
    hasher_.reset();
    if (actual == expect_.value) return Status::OK();
    return Mismatch("GetObject " + S3Url(bucket_, meta_.key), expect_, actual).WithRetryable(false);
  }

  S3Transport& transport_;
  const std::string bucket_;
  ObjectMeta meta_;
  const std::string prefetched_;  // bytes [0, prefetched_.size()) of the object
  const bool etag_is_md5_;
  const bool exact_reads_;
  Expectation expect_;

  std::mutex mu_;
  std::string window_;  // guarded by mu_: bytes [window_offset_, + size) of the object
  uint64_t window_offset_ = 0;
  std::unique_ptr<Hasher> hasher_;  // guarded by mu_: whole-object check in progress
  uint64_t hashed_ = 0;             // guarded by mu_
};

struct Opened {
  ObjectMeta meta;
  std::string data;
  bool etag_is_md5 = false;
};

// The first GET: metadata and up to prefetch bytes. An empty object answers a Range with 416,
// so it is fetched again without one. With probe (a retry after a failed transfer), a HEAD
// comes first, and an empty object is fetched without a Range: s3rver answers one with
// "206, Content-Length: 1" and never sends that byte.
Result<Opened> FirstGet(S3Transport& transport, std::string_view bucket, std::string_view key,
                        std::string_view version_id, bool probe, uint64_t listed_size) {
  const uint64_t prefetch = std::max<uint64_t>(transport.options().prefetch_bytes, 1);
  const bool whole = listed_size > 0;
  Opened opened;
  opened.data.reserve(static_cast<size_t>(whole ? listed_size : 0));
  http::BodySink sink = [&](std::string_view data) -> Status {
    if (opened.data.size() + data.size() > prefetch) {
      if (whole) {
        return Status::Unavailable("GetObject " + S3Url(bucket, key) + ": larger than listed (" +
                                   std::to_string(prefetch) + " bytes read)")
            .WithRetryable(true);
      }
      return Status::NotImplemented("GetObject " + S3Url(bucket, key) +
                                    ": the endpoint ignored the Range header");
    }
    opened.data.append(data);
    return Status::OK();
  };
  S3Call call;
  call.op = "GetObject";
  call.spec.bucket = std::string(bucket);
  call.spec.key = std::string(key);
  call.spec.headers = {{"x-amz-checksum-mode", "ENABLED"}};
  if (!version_id.empty()) call.spec.query.emplace_back("versionId", std::string(version_id));
  if (!whole) call.spec.headers.emplace_back("Range", "bytes=0-" + std::to_string(prefetch - 1));
  call.sink = &sink;
  auto drop_range = [&] {
    std::erase_if(call.spec.headers, [](const auto& h) { return h.first == "Range"; });
  };
  if (probe) {
    S3Call head;
    head.op = "HeadObject";
    head.spec.method = "HEAD";
    head.spec.bucket = call.spec.bucket;
    head.spec.key = call.spec.key;
    head.spec.query = call.spec.query;
    FERRY_ASSIGN_OR_RETURN(auto headed, transport.SendOnce(head));
    if (ObjectMetaFromHeaders(key, headed.headers).size == 0) {
      drop_range();
    }
  }
  auto response = transport.SendOnce(call);
  if (!response.ok() && response.status().http_status() == 416) {
    drop_range();
    opened.data.clear();
    response = transport.SendOnce(call);
  }
  if (!response.ok()) return response.status();
  opened.meta = ObjectMetaFromHeaders(key, response->headers);
  opened.etag_is_md5 = EtagIsMd5(response->headers, opened.meta);
  uint64_t expected = std::min<uint64_t>(opened.meta.size, prefetch);
  if (opened.data.size() != expected) {
    return Status::Unavailable("GetObject " + S3Url(bucket, key) + ": body ended after " +
                               std::to_string(opened.data.size()) + " of " +
                               std::to_string(expected) + " bytes");
  }
  if (opened.meta.size == opened.data.size() && transport.options().verify_downloads) {
    FERRY_RETURN_IF_ERROR(VerifyWholeObject(opened.meta, opened.etag_is_md5, opened.data,
                                            "GetObject " + S3Url(bucket, key)));
  }
  return opened;
}

}  // namespace

Status VerifyWholeObject(const ObjectMeta& meta, bool etag_is_md5, std::string_view data,
                         std::string_view what) {
  Expectation e = ExpectationFor(meta, etag_is_md5);
  if (e.value.empty()) return Status::OK();
  std::string actual = Encode(e, Digest(e.kind, data));
  return actual == e.value ? Status::OK() : Mismatch(what, e, actual);
}

Result<std::unique_ptr<ObjectReader>> OpenS3Object(S3Transport& transport, std::string_view bucket,
                                                   std::string_view key, const OpenHints& hints,
                                                   std::string_view version_id) {
  if (hints.size && !hints.etag.empty()) {
    // A known version: no request until the first read, no whole-object check (reads come in
    // any order); each read is one ranged GET of just its bytes, pinned with If-Match (the
    // caller reads in its own units: a read window would fetch more than it asked for).
    ObjectMeta meta;
    meta.key = std::string(key);
    meta.size = *hints.size;
    meta.etag = hints.etag;
    meta.version_id = std::string(version_id);
    return std::unique_ptr<ObjectReader>(std::make_unique<S3Reader>(
        transport, std::string(bucket), std::move(meta), "", false, /*exact_reads=*/true));
  }
  bool transfer_failed = false;
  // After any failure the hint is no longer trusted: the object may have changed.
  uint64_t listed_size =
      hints.size && *hints.size <= std::max<uint64_t>(transport.options().prefetch_bytes, 1)
          ? *hints.size
          : 0;
  FERRY_ASSIGN_OR_RETURN(Opened opened, transport.RetryResult<Opened>([&](int) {
    auto got = FirstGet(transport, bucket, key, version_id, transfer_failed, listed_size);
    transfer_failed = !got.ok() && got.status().http_status() == 0;
    if (!got.ok()) listed_size = 0;
    return got;
  }));
  opened.meta.version_id = std::string(version_id);
  auto reader = std::make_unique<S3Reader>(transport, std::string(bucket), std::move(opened.meta),
                                           std::move(opened.data), opened.etag_is_md5);
  FERRY_RETURN_IF_ERROR(reader->StartVerification());
  return std::unique_ptr<ObjectReader>(std::move(reader));
}

}  // namespace ferry
