// Streaming decoder for "Content-Encoding: aws-chunked" request bodies (the STREAMING-*
// x-amz-content-sha256 modes of SigV4).
//
// Wire format: chunks "<hex-size>[;chunk-signature=<hex>]\r\n<data>\r\n", a final chunk of
// size 0, then either "\r\n" (no trailer) or trailer lines "name:value\r\n" ended by "\r\n".
// In the signed modes every chunk carries a signature chained on the previous one, starting
// from the request's seed signature:
//   HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\n" + amz_date + "\n" + scope + "\n" + previous + "\n"
//             + hex(sha256("")) + "\n" + hex(sha256(chunk data)))
// and in the signed-trailer mode the trailer ends with "x-amz-trailer-signature:<hex>":
//   HMAC(key, "AWS4-HMAC-SHA256-TRAILER\n" + amz_date + "\n" + scope + "\n" + previous + "\n"
//             + hex(sha256(each trailer line "name:value\n", in order)))
//
// Feed() accepts the body in slices of any size (one byte at a time works) and passes decoded
// payload bytes to the sink as they arrive, as views into the input: a chunk's bytes reach
// the sink BEFORE its signature is checked at the chunk's end, so the caller must not make
// the data visible (commit an upload) until Finish() returns OK. Errors, never crashes, on any
// input: SignatureDoesNotMatch for a bad chunk or trailer signature, IncompleteBody for a body
// that ends early or a decoded length that differs from x-amz-decoded-content-length,
// InvalidArgument for malformed framing or a limit exceeded. After an error every call returns
// it again. Not thread-safe: one decoder per request body.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/checksum.h"
#include "ferry/object_store.h"
#include "ferry/status.h"
#include "s3/sigv4.h"
#include "s3/sigv4_verifier.h"

namespace ferry::s3 {

class AwsChunkedDecoder {
 public:
  struct Options {
    // One of the STREAMING-* modes.
    PayloadMode mode = PayloadMode::kStreamingUnsignedTrailer;
    // For the signed modes: from the request's AuthContext.
    std::string signing_key;
    std::string amz_date;
    std::string scope;
    std::string seed_signature;
    // x-amz-decoded-content-length when the request carried it; checked as bytes arrive.
    std::optional<uint64_t> decoded_length;
    uint64_t max_chunk_size = 16 << 20;  // Default: 16 MiB
    size_t max_line = 4096;              // chunk-size line, extensions included
    size_t max_trailer_bytes = 16 << 10;
  };
  // Options for a request verified as `auth`, with its x-amz-decoded-content-length.
  static Options OptionsFor(const AuthContext& auth, std::optional<uint64_t> decoded_length);

  using Sink = std::function<Status(std::string_view decoded)>;

  explicit AwsChunkedDecoder(Options options);
  ~AwsChunkedDecoder();

  // Decodes the next slice of the body; decoded bytes go to sink (which may fail the decode).
  Status Feed(std::string_view data, const Sink& sink);
  // Convenience: appends decoded bytes to *out.
  Status Feed(std::string_view data, std::string* out);
  // Call at the end of the body: OK only when the final chunk (and trailer) arrived intact.
  Status Finish();

  bool done() const { return state_ == State::kDone; }
  uint64_t decoded_bytes() const { return decoded_bytes_; }
  // Trailer headers in order, names lower-cased, without x-amz-trailer-signature.
  const HeaderList& trailers() const { return trailers_; }

 private:
  enum class State { kSizeLine, kData, kDataEnd, kFinalCrlf, kTrailer, kDone, kFailed };

  Status Fail(Status status);
  Status OnSizeLine(std::string_view line);
  Status OnChunkEnd();
  Status OnTrailerLine(std::string_view line);
  Status OnTrailerEnd();
  bool Signed() const;
  std::string ChunkSignature(std::string_view data_sha256_hex) const;

  Options options_;
  State state_ = State::kSizeLine;
  Status error_;
  std::string line_;  // partial line being collected
  uint64_t remaining_ = 0;
  std::unique_ptr<Hasher> hasher_;
  std::string chunk_signature_;     // claimed signature of the current chunk
  std::string previous_signature_;  // chained signature
  uint64_t decoded_bytes_ = 0;
  size_t trailer_bytes_ = 0;
  HeaderList trailers_;
  std::string trailer_canonical_;  // "name:value\n" lines as signed
  std::string trailer_signature_;
};

// The additional checksum an aws-chunked trailer carried ("x-amz-checksum-crc32c:..."), if
// any; pass it to ObjectWriter::SetExpectedChecksum.
std::optional<ObjectChecksum> ChecksumFromTrailers(const HeaderList& trailers);

}  // namespace ferry::s3
