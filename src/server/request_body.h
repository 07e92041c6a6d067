// RequestBody: reads an S3 request body as the client signed it. Plain bodies are passed
// through (and, for a signed payload, hashed and checked against x-amz-content-sha256);
// aws-chunked bodies are decoded with their chunk signatures and trailers verified.
// A failure anywhere means the caller must discard what it received.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/checksum.h"
#include "ferry/object_store.h"
#include "http/server.h"
#include "s3/aws_chunked.h"
#include "server/s3_request.h"

namespace ferry::server {

// A small body (an XML document) read whole, as RequestBody's Init then ReadAll do.
Result<std::string> ReadWholeBody(const S3Request& req, http::BodyReader& reader, size_t limit);

class RequestBody {
 public:
  RequestBody(const S3Request& req, http::BodyReader& reader);

  // Validates framing headers (aws-chunked needs x-amz-decoded-content-length, ...).
  Status Init();

  // The decoded body length when the client declared it.
  std::optional<uint64_t> declared_size() const { return declared_size_; }

  // Passes every decoded byte to sink, then verifies the payload signature or hash.
  Status StreamTo(const std::function<Status(std::string_view)>& sink);
  // Reads the whole body into memory; InvalidRequest beyond limit bytes.
  Result<std::string> ReadAll(size_t limit);

  // The checksum a trailer carried (after StreamTo), if any.
  std::optional<ObjectChecksum> trailing_checksum() const;

 private:
  const S3Request& req_;
  http::BodyReader& reader_;
  std::optional<uint64_t> declared_size_;
  std::unique_ptr<s3::AwsChunkedDecoder> chunked_;
  std::unique_ptr<Hasher> sha256_;  // set when the payload hash is signed
};

// Streams body into writer, applies the checksum a trailer carried, and commits.
Result<ObjectMeta> ReceiveInto(RequestBody& body, ObjectWriter& writer);

}  // namespace ferry::server
