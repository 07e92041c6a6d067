// S3Transport: sends one S3 request: builds and signs it (S3RequestBuilder), performs it with
// the pooled HttpClient, turns any non-2xx answer into a Status (parsing the <Error> body),
// and retries through the store's one RetryPolicy. Counts requests, retries and bytes.
//
// A failed status names the operation and the object: "GetObject s3://bucket/key: 403
// SignatureDoesNotMatch: ...", and carries the S3 code, HTTP status (Status::WithS3Code) and
// whether retrying may help (transport failures, stalls, truncated bodies, 5xx, 429, SlowDown,
// RequestTimeout; never 403/404 and other 4xx). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/retry.h"
#include "http/client.h"
#include "s3client/s3_request_builder.h"
#include "s3client/s3_store_options.h"

namespace ferry {

struct S3Call {
  const char* op = "";  // operation name for messages: "PutObject"
  S3RequestSpec spec;
  // Request body: in memory, or a range of an open file when body_fd >= 0.
  std::string_view body;
  int body_fd = -1;
  uint64_t body_offset = 0;
  uint64_t body_length = 0;
  // Receives the body of a 2xx answer as it arrives (error bodies never reach it); null: the
  // body is collected into the response.
  const http::BodySink* sink = nullptr;
  bool no_body = false;  // HEAD
};

struct S3Stats {
  uint64_t requests = 0;  // attempts sent, retries included
  uint64_t retries = 0;   // attempts that repeated a failed one
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
};

class S3Transport {
 public:
  static Result<std::unique_ptr<S3Transport>> Create(const S3StoreOptions& options);

  // One attempt; a non-2xx answer is a failed status (see above).
  Result<http::ClientResponse> SendOnce(const S3Call& call);
  // SendOnce under the retry policy. Calls with a sink must be restartable by the sink's
  // owner; use RetryPolicy directly for resumable transfers.
  Result<http::ClientResponse> Send(const S3Call& call);

  // Runs op under the store's retry policy (retries are counted in stats()).
  Status Retry(const std::function<Status(int attempt)>& op) { return retry_.Run(op); }
  template <typename T>
  Result<T> RetryResult(const std::function<Result<T>(int attempt)>& op) {
    return retry_.RunResult<T>(op);
  }

  S3Stats stats() const;
  const S3StoreOptions& options() const { return options_; }
  const S3RequestBuilder& builder() const { return builder_; }

 private:
  S3Transport(const S3StoreOptions& options, S3RequestBuilder builder,
              std::unique_ptr<http::HttpClient> client);

  const S3StoreOptions options_;
  const S3RequestBuilder builder_;
  std::unique_ptr<http::HttpClient> client_;
  RetryPolicy retry_;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  std::atomic<uint64_t> bytes_received_{0};
};

// "s3://bucket/key" (or "s3://bucket", "s3://") for messages.
std::string S3Url(std::string_view bucket, std::string_view key = {});

}  // namespace ferry
