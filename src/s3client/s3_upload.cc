#include "s3client/s3_upload.h"

#include <unistd.h>

#include <cerrno>
#include <vector>

#include "s3/http_date.h"
#include "s3/http_semantics.h"
#include "s3client/s3_object_headers.h"

namespace ferry {
namespace {

constexpr size_t kReadPiece = 1 << 20;

Status DigestMismatch(const std::string& what) {
  return Status::Corruption(what).WithRetryable(true);
}

}  // namespace

Status HashBody(const UploadBody& body, Hasher* a, Hasher* b) {
  auto feed = [&](std::span<const char> piece) {
    if (a) a->Update(piece);
    if (b) b->Update(piece);
  };
  if (body.fd < 0) {
    feed(std::span<const char>(body.data.data(), body.data.size()));
    return Status::OK();
  }
  std::vector<char> buf(std::min<uint64_t>(std::max<uint64_t>(body.length, 1), kReadPiece));
  uint64_t offset = body.offset;
  uint64_t left = body.length;
  while (left > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
    ssize_t n = ::pread(body.fd, buf.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("reading upload body", errno);
    if (n == 0) return Status::IOError("file shrank while being uploaded");
    feed(std::span<const char>(buf.data(), static_cast<size_t>(n)));
    offset += static_cast<uint64_t>(n);
    left -= static_cast<uint64_t>(n);
  }
  return Status::OK();
}

Result<std::string> ChecksumOfBody(const UploadBody& body, ChecksumAlgorithm algorithm) {
  auto kind = DigestKindFor(algorithm);
  if (!kind) return Status::InvalidArgument("no digest for checksum algorithm");
  auto hasher = NewHasher(*kind);
  FERRY_RETURN_IF_ERROR(HashBody(body, hasher.get()));
  return Base64Encode(hasher->Finish());
}

Result<UploadOutcome> UploadVerified(S3Transport& transport, const UploadRequest& request,
                                     const UploadBody& body) {
  const S3StoreOptions& options = transport.options();
  UploadOutcome outcome;
  std::string payload_hash(s3::kUnsignedPayload);
  {
    std::unique_ptr<Hasher> checksum;
    std::unique_ptr<Hasher> sha;
    if (request.checksum_algorithm != ChecksumAlgorithm::kNone) {
      checksum = NewHasher(*DigestKindFor(request.checksum_algorithm));
    }
    if (body.fd < 0 && body.size() <= options.signed_payload_max) {
      sha = NewHasher(DigestKind::kSha256);
    }
    FERRY_RETURN_IF_ERROR(HashBody(body, checksum.get(), sha.get()));
    if (checksum) outcome.checksum = Base64Encode(checksum->Finish());
    if (sha) payload_hash = HexEncode(sha->Finish());
  }
  S3Call call;
  call.op = request.op;
  call.spec.method = "PUT";
  call.spec.bucket = request.bucket;
  call.spec.key = request.key;
  call.spec.query = request.query;
  call.spec.headers = request.headers;
  call.spec.payload_hash = payload_hash;
  if (!outcome.checksum.empty()) {
    call.spec.headers.emplace_back(ChecksumHeaderName(request.checksum_algorithm),
                                   outcome.checksum);
  }
  call.body = body.data;
  call.body_fd = body.fd;
  call.body_offset = body.offset;
  call.body_length = body.length;
  std::string what = std::string(request.op) + " " + S3Url(request.bucket, request.key);
  std::optional<std::string> md5_hex;  // computed once, when first needed
  Status st = transport.Retry([&](int) -> Status {
    auto sent = transport.SendOnce(call);
    if (!sent.ok()) {
      // Our checksum was computed from the bytes we hold: a digest mismatch at the server
      // means they were damaged on the way.
      if (sent.status().code() == Status::Code::kCorruption) {
        return sent.status().WithRetryable(true);
      }
      return sent.status();
    }
    outcome.etag = std::string(s3::UnquoteEtag(sent->headers.GetOr("etag", "")));
    if (outcome.etag.empty()) {
      // Every S3 server names what it stored; an answer without an ETag did not come from one
      // (a proxy or load balancer answered), so the upload cannot be taken as done.
      return Status::Unavailable(what + ": the answer carried no ETag");
    }
    outcome.echoed = ChecksumFromHeaders(sent->headers);
    if (auto date = s3::ParseHttpDate(sent->headers.GetOr("date", ""))) {
      outcome.date_ns = *date * s3::kNanosPerSecond;
    }
    if (outcome.echoed && outcome.echoed->algorithm == request.checksum_algorithm &&
        !outcome.checksum.empty()) {
      if (outcome.echoed->value != outcome.checksum) {
        return DigestMismatch(what + ": the server stored checksum " + outcome.echoed->value +
                              ", we sent " + outcome.checksum);
      }
      return Status::OK();
    }
    // With SSE-KMS or SSE-C the ETag is not the body's MD5.
    bool encrypted = sent->headers.Has("x-amz-server-side-encryption-aws-kms-key-id") ||
                     sent->headers.Has("x-amz-server-side-encryption-customer-algorithm") ||
                     sent->headers.GetOr("x-amz-server-side-encryption", "").starts_with("aws:kms");
    if (s3::IsMd5Etag(outcome.etag) && !encrypted) {
      if (!md5_hex) {
        auto md5 = NewHasher(DigestKind::kMd5);
        FERRY_RETURN_IF_ERROR(HashBody(body, md5.get()));
        md5_hex = HexEncode(md5->Finish());
      }
      if (http::ToLower(outcome.etag) != *md5_hex) {
        return DigestMismatch(what + ": ETag " + outcome.etag + " is not the MD5 of the body (" +
                              *md5_hex + ")");
      }
    }
    return Status::OK();
  });
  if (!st.ok()) return st;
  return outcome;
}

}  // namespace ferry
