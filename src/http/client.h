// HttpClient: HTTP/1.1 and HTTPS requests over libcurl with connection reuse.
//
// Handles are pooled: each Send borrows an easy handle, and all handles share one connection
// cache and DNS cache, so consecutive requests to the same host reuse keep-alive connections
// and as many requests run at once as threads call Send. Request bodies come from memory or a
// file range (read with pread, never loaded whole); response bodies go to memory or to a
// sink as they arrive. A transfer slower than `stall_bytes_per_second` for
// `stall_seconds` is aborted as a retryable error.
//
// Thread-safe. Knows nothing about S3.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/rate_limiter.h"
#include "ferry/result.h"
#include "http/headers.h"

namespace ferry::http {

struct ClientOptions {
  int connect_timeout_ms = 10'000;
  // A request making less progress than this for stall_seconds is aborted (retryable).
  long stall_bytes_per_second = 1;
  long stall_seconds = 30;
  // Whole-request ceiling; 0: none (large bodies take as long as they take).
  long total_timeout_ms = 0;
  bool verify_tls = true;
  std::string ca_bundle;  // PEM file; empty: the system's
  size_t max_idle_handles = 64;
  // Open connections kept for reuse across all handles. libcurl's default (a few per easy
  // handle) makes a parallel transfer open a new connection for most requests.
  long max_cached_connections = 128;
  // Shared limit on body bytes sent plus received by all requests (`--bwlimit`); not owned.
  RateLimiter* rate_limiter = nullptr;
};

// Receives response body bytes as they arrive. Returning a failed status aborts the request
// with that status.
using BodySink = std::function<Status(std::string_view data)>;

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  // Body: either in memory...
  std::string_view body;
  // ...or a range of an open file (used when body_fd >= 0).
  int body_fd = -1;
  uint64_t body_offset = 0;
  uint64_t body_length = 0;
  // Where the response body goes; when null it is collected into ClientResponse::body.
  const BodySink* sink = nullptr;
  // When set, only the body of a 2xx answer goes to sink; any other answer's body (an error
  // document) is collected into ClientResponse::body, so a sink that writes into a caller's
  // buffer never receives error text, even when the transfer then fails midway.
  bool sink_only_on_success = false;
  // For HEAD: no body expected.
  bool no_body = false;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;         // when the request had no sink
  uint64_t body_bytes = 0;  // bytes received, sink or not
};

class HttpClient {
 public:
  static Result<std::unique_ptr<HttpClient>> Create(const ClientOptions& options);
  virtual ~HttpClient() = default;
  // Performs the request. Transport failures (connect, reset, stall, truncated body) are
  // Unavailable and retryable; any HTTP status, error or not, is a successful result.
  virtual Result<ClientResponse> Send(const ClientRequest& request) = 0;
};

}  // namespace ferry::http
