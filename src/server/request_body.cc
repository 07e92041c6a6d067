#include "server/request_body.h"

#include <charconv>
#include <memory>

#include "s3/errors.h"

namespace ferry::server {
namespace {

constexpr size_t kReadBufferBytes = 256 * 1024;

std::optional<uint64_t> ParseUint(std::string_view text) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

RequestBody::RequestBody(const S3Request& req, http::BodyReader& reader)
    : req_(req), reader_(reader) {}

Status RequestBody::Init() {
  s3::PayloadMode mode = req_.auth ? req_.auth->payload_mode : s3::PayloadMode::kUnsigned;
  if (!req_.auth) {
    // Anonymous: the framing still follows x-amz-content-sha256 when a client sent it.
    auto sha = req_.Header("x-amz-content-sha256");
    if (sha) {
      if (auto m = s3::ParsePayloadMode(*sha)) mode = *m;
    }
  }
  if (s3::IsStreaming(mode)) {
    auto decoded = req_.Header("x-amz-decoded-content-length");
    if (decoded) {
      declared_size_ = ParseUint(*decoded);
      if (!declared_size_) return s3err::InvalidArgument("bad x-amz-decoded-content-length");
    } else if (mode == s3::PayloadMode::kStreamingSigned) {
      return s3err::MissingContentLength();
    }
    s3::AwsChunkedDecoder::Options options;
    if (req_.auth) {
      options = s3::AwsChunkedDecoder::OptionsFor(*req_.auth, declared_size_);
    } else {
      options.mode = mode;
      options.decoded_length = declared_size_;
    }
    chunked_ = std::make_unique<s3::AwsChunkedDecoder>(options);
    return Status::OK();
  }
  declared_size_ = req_.http->content_length;
  if (mode == s3::PayloadMode::kSha256 && req_.auth &&
      req_.auth->payload_sha256 != s3::kEmptySha256) {
    sha256_ = NewHasher(DigestKind::kSha256);
  }
  return Status::OK();
}

Status RequestBody::StreamTo(const std::function<Status(std::string_view)>& sink) {
  // Not zero-filled: a value-initialized vector cost a 256 KiB memset on every request.
  auto buf = std::make_unique_for_overwrite<char[]>(kReadBufferBytes);
  for (;;) {
    auto n = reader_.Read(std::span<char>(buf.get(), kReadBufferBytes));
    if (!n.ok()) return s3err::IncompleteBody(n.status().message());
    if (*n == 0) break;
    std::string_view data(buf.get(), *n);
    if (chunked_) {
      FERRY_RETURN_IF_ERROR(chunked_->Feed(data, sink));
    } else {
      if (sha256_) sha256_->Update(data);
      FERRY_RETURN_IF_ERROR(sink(data));
    }
  }
  if (chunked_) return chunked_->Finish();
  if (declared_size_ && reader_.bytes_read() != *declared_size_) {
    return s3err::IncompleteBody("The request body terminated unexpectedly");
  }
  if (sha256_) {
    std::string got = HexEncode(sha256_->Finish());
    if (got != req_.auth->payload_sha256) {
      return s3err::ContentSha256Mismatch(
          "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
  } else if (req_.auth && req_.auth->payload_mode == s3::PayloadMode::kSha256 &&
             reader_.bytes_read() != 0) {
    return s3err::ContentSha256Mismatch(
        "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return Status::OK();
}

Result<std::string> ReadWholeBody(const S3Request& req, http::BodyReader& reader, size_t limit) {
  RequestBody body(req, reader);
  FERRY_RETURN_IF_ERROR(body.Init());
  return body.ReadAll(limit);
}

Result<std::string> RequestBody::ReadAll(size_t limit) {
  if (declared_size_ && *declared_size_ > limit) {
    return s3err::InvalidRequest("request body too large");
  }
  std::string out;
  Status st = StreamTo([&](std::string_view data) {
    if (out.size() + data.size() > limit) return s3err::InvalidRequest("request body too large");
    out.append(data);
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

std::optional<ObjectChecksum> RequestBody::trailing_checksum() const {
  if (!chunked_) return std::nullopt;
  return s3::ChecksumFromTrailers(chunked_->trailers());
}

Result<ObjectMeta> ReceiveInto(RequestBody& body, ObjectWriter& writer) {
  FERRY_RETURN_IF_ERROR(body.StreamTo([&](std::string_view data) {
    return writer.Append(std::span<const char>(data.data(), data.size()));
  }));
  if (auto trailing = body.trailing_checksum()) writer.SetExpectedChecksum(*trailing);
  return writer.Commit();
}

}  // namespace ferry::server
