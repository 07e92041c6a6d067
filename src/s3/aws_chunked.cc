#include "s3/aws_chunked.h"

#include <algorithm>

#include "core/ascii.h"
#include "s3/errors.h"

namespace ferry::s3 {
namespace {

constexpr std::string_view kCrlf = "\r\n";

std::string_view TrimWs(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status Malformed(std::string_view why) {
  return s3err::InvalidArgument("Malformed aws-chunked body: " + std::string(why));
}

Status BadSignature(std::string_view what) {
  return s3err::SignatureDoesNotMatch(
      "The " + std::string(what) +
      " signature we calculated does not match the signature you provided.");
}

}  // namespace

AwsChunkedDecoder::Options AwsChunkedDecoder::OptionsFor(const AuthContext& auth,
                                                         std::optional<uint64_t> decoded_length) {
  Options o;
  o.mode = auth.payload_mode;
  o.signing_key = auth.signing_key;
  o.amz_date = auth.amz_date;
  o.scope = auth.scope;
  o.seed_signature = auth.seed_signature;
  o.decoded_length = decoded_length;
  return o;
}

AwsChunkedDecoder::AwsChunkedDecoder(Options options)
    : options_(std::move(options)), previous_signature_(options_.seed_signature) {
  if (!IsStreaming(options_.mode)) {
    // Kept in error_: every Feed answers with it.
    static_cast<void>(
        Fail(s3err::InternalError("AwsChunkedDecoder needs a STREAMING-* payload mode")));
  }
}

AwsChunkedDecoder::~AwsChunkedDecoder() = default;

bool AwsChunkedDecoder::Signed() const {
  return options_.mode == PayloadMode::kStreamingSigned ||
         options_.mode == PayloadMode::kStreamingSignedTrailer;
}

Status AwsChunkedDecoder::Fail(Status status) {
  state_ = State::kFailed;
  error_ = std::move(status);
  return error_;
}

Status AwsChunkedDecoder::Feed(std::string_view data, std::string* out) {
  return Feed(data, [out](std::string_view decoded) {
    out->append(decoded);
    return Status::OK();
  });
}

Status AwsChunkedDecoder::Feed(std::string_view data, const Sink& sink) {
  while (!data.empty()) {
    switch (state_) {
      case State::kFailed:
        return error_;
      case State::kDone:
        return Fail(Malformed("data after the end of the body"));
      case State::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size()));
        std::string_view piece = data.substr(0, n);
        data.remove_prefix(n);
        remaining_ -= n;
        decoded_bytes_ += n;
        if (options_.decoded_length && decoded_bytes_ > *options_.decoded_length) {
          return Fail(s3err::InvalidArgument(
              "The aws-chunked body holds more data than x-amz-decoded-content-length"));
        }
        if (hasher_) hasher_->Update(piece);
        if (Status s = sink(piece); !s.ok()) return Fail(std::move(s));
        if (remaining_ == 0) state_ = State::kDataEnd;
        break;
      }
      case State::kSizeLine:
      case State::kDataEnd:
      case State::kFinalCrlf:
      case State::kTrailer: {
        // Collect up to and including the next CRLF; a bare LF stays part of the line.
        const size_t limit =
            state_ == State::kTrailer ? options_.max_trailer_bytes : options_.max_line;
        size_t end = std::string_view::npos;
        for (size_t pos = 0; (pos = data.find('\n', pos)) != std::string_view::npos; ++pos) {
          bool cr = pos > 0 ? data[pos - 1] == '\r' : (!line_.empty() && line_.back() == '\r');
          if (cr) {
            end = pos + 1;
            break;
          }
        }
        size_t take = end == std::string_view::npos ? data.size() : end;
        size_t used = line_.size() + take + (state_ == State::kTrailer ? trailer_bytes_ : 0);
        if (used > limit + kCrlf.size()) {
          return Fail(Malformed(state_ == State::kTrailer ? "trailer too large"
                                                          : "chunk header line too long"));
        }
        line_.append(data.substr(0, take));
        data.remove_prefix(take);
        if (end == std::string_view::npos) break;
        std::string line = std::move(line_);
        line_.clear();
        line.resize(line.size() - kCrlf.size());
        Status s;
        if (state_ == State::kSizeLine) {
          s = OnSizeLine(line);
        } else if (state_ == State::kTrailer) {
          trailer_bytes_ += line.size() + kCrlf.size();
          s = OnTrailerLine(line);
        } else if (!line.empty()) {
          s = Malformed(state_ == State::kDataEnd ? "chunk data longer than its size"
                                                  : "expected CRLF after the final chunk");
        } else if (state_ == State::kDataEnd) {
          s = OnChunkEnd();
        } else {
          state_ = State::kDone;
        }
        if (!s.ok()) return Fail(std::move(s));
        break;
      }
    }
  }
  return state_ == State::kFailed ? error_ : Status::OK();
}

Status AwsChunkedDecoder::Finish() {
  if (state_ == State::kFailed) return error_;
  if (state_ != State::kDone) {
    return Fail(s3err::IncompleteBody("The request body terminated unexpectedly"));
  }
  return Status::OK();
}

std::string AwsChunkedDecoder::ChunkSignature(std::string_view data_sha256_hex) const {
  std::string sts = "AWS4-HMAC-SHA256-PAYLOAD\n";
  sts += options_.amz_date;
  sts += '\n';
  sts += options_.scope;
  sts += '\n';
  sts += previous_signature_;
  sts += '\n';
  sts += kEmptySha256;
  sts += '\n';
  sts += data_sha256_hex;
  return SignatureHex(options_.signing_key, sts);
}

Status AwsChunkedDecoder::OnSizeLine(std::string_view line) {
  std::string_view size_text = line.substr(0, line.find(';'));
  if (size_text.empty() || size_text.size() > 16) return Malformed("bad chunk size");
  uint64_t size = 0;
  for (char c : size_text) {
    int d = HexDigit(c);
    if (d < 0) return Malformed("bad chunk size");
    size = size * 16 + static_cast<uint64_t>(d);
  }
  if (size > options_.max_chunk_size) {
    return s3err::InvalidArgument("Chunk size " + std::to_string(size) + " exceeds the limit of " +
                                  std::to_string(options_.max_chunk_size) + " bytes");
  }
  chunk_signature_.clear();
  std::string_view ext = line.substr(size_text.size());
  while (!ext.empty()) {  // ";name=value" pieces; only chunk-signature is understood
    ext.remove_prefix(1);
    std::string_view piece = ext.substr(0, ext.find(';'));
    ext.remove_prefix(piece.size());
    size_t eq = piece.find('=');
    if (eq != std::string_view::npos && TrimWs(piece.substr(0, eq)) == "chunk-signature") {
      chunk_signature_ = AsciiLower(TrimWs(piece.substr(eq + 1)));
    }
  }
  if (Signed() && chunk_signature_.empty()) return Malformed("chunk without chunk-signature");

  if (size > 0) {
    remaining_ = size;
    hasher_ = Signed() ? NewHasher(DigestKind::kSha256) : nullptr;
    state_ = State::kData;
    return Status::OK();
  }
  // The final, empty chunk.
  if (Signed()) {
    std::string expected = ChunkSignature(kEmptySha256);
    if (!SignaturesEqual(expected, chunk_signature_)) return BadSignature("final chunk");
    previous_signature_ = std::move(expected);
  }
  if (options_.decoded_length && decoded_bytes_ != *options_.decoded_length) {
    return s3err::IncompleteBody(
        "The decoded body length does not match x-amz-decoded-content-length");
  }
  state_ = options_.mode == PayloadMode::kStreamingSigned ? State::kFinalCrlf : State::kTrailer;
  return Status::OK();
}

Status AwsChunkedDecoder::OnChunkEnd() {
  if (Signed()) {
    std::string expected = ChunkSignature(HexEncode(hasher_->Finish()));
    if (!SignaturesEqual(expected, chunk_signature_)) return BadSignature("chunk");
    previous_signature_ = std::move(expected);
  }
  hasher_.reset();
  state_ = State::kSizeLine;
  return Status::OK();
}

Status AwsChunkedDecoder::OnTrailerLine(std::string_view line) {
  line = TrimWs(line);
  if (line.empty()) return OnTrailerEnd();
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return Malformed("bad trailer line");
  std::string name = AsciiLower(TrimWs(line.substr(0, colon)));
  std::string value(TrimWs(line.substr(colon + 1)));
  if (name == "x-amz-trailer-signature") {
    trailer_signature_ = AsciiLower(value);
    return Status::OK();
  }
  trailer_canonical_ += name + ":" + value + "\n";
  trailers_.emplace_back(std::move(name), std::move(value));
  return Status::OK();
}

Status AwsChunkedDecoder::OnTrailerEnd() {
  if (options_.mode == PayloadMode::kStreamingSignedTrailer) {
    std::string sts = "AWS4-HMAC-SHA256-TRAILER\n";
    sts += options_.amz_date;
    sts += '\n';
    sts += options_.scope;
    sts += '\n';
    sts += previous_signature_;
    sts += '\n';
    sts += HexEncode(Digest(DigestKind::kSha256, trailer_canonical_));
    if (trailer_signature_.empty() ||
        !SignaturesEqual(SignatureHex(options_.signing_key, sts), trailer_signature_)) {
      return BadSignature("trailer");
    }
  }
  state_ = State::kDone;
  return Status::OK();
}

std::optional<ObjectChecksum> ChecksumFromTrailers(const HeaderList& trailers) {
  constexpr std::string_view kPrefix = "x-amz-checksum-";
  for (const auto& [name, value] : trailers) {
    if (!name.starts_with(kPrefix)) continue;
    auto algorithm = ParseChecksumAlgorithm(std::string_view(name).substr(kPrefix.size()));
    if (!algorithm || *algorithm == ChecksumAlgorithm::kNone) continue;
    ObjectChecksum checksum;
    checksum.algorithm = *algorithm;
    checksum.value = value;
    return checksum;
  }
  return std::nullopt;
}

}  // namespace ferry::s3
