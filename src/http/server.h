// HTTP/1.1 server: accepts connections, parses requests (Boost.Beast), and hands each one to a
// Handler with a streaming body reader and a response writer. Knows nothing about S3.
//
// Model: one thread per connection with blocking I/O, up to max_connections. Request bodies stream
// (never buffered whole), responses can be sent from memory or straight from files (sendfile on
// plain TCP). Keep-alive is honoured; idle, stalled or dripping connections time out. "Expect:
// 100-continue" is answered when the handler first reads the body, so a handler that rejects
// a request early saves the client from sending it; a body left unread when the answer is
// sent is not read on (unless it arrived already) and the connection closes.
//
// Thread-safety: Start/Stop from one owner thread. The Handler is called concurrently from
// connection threads and must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "ferry/result.h"
#include "http/headers.h"

namespace ferry::http {

struct Request {
  std::string method;  // "GET", "PUT", ...
  std::string target;  // as sent: path and query, percent-encoded
  std::string path;    // target before '?', still percent-encoded
  std::string query;   // target after '?', raw; empty when none
  Headers headers;
  std::optional<uint64_t> content_length;  // absent for chunked transfer or no body
  bool has_body = false;
  std::string remote_address;
};

class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Reads up to out.size() bytes of the (transfer-decoded) body; 0 means the body ended.
  // A client that stalls or disconnects mid-body yields a failed status.
  virtual Result<size_t> Read(std::span<char> out) = 0;
  // Bytes of body read so far.
  virtual uint64_t bytes_read() const = 0;
};

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // Sends the status line and headers; Content-Length is set from content_length, and
  // Connection from the keep-alive decision. The body, if any, must follow in full.
  virtual Status WriteHead(int status, const Headers& headers, uint64_t content_length) = 0;
  virtual Status WriteBody(std::span<const char> data) = 0;
  // Sends [offset, offset + length) of an open file as body bytes.
  virtual Status SendFile(int fd, uint64_t offset, uint64_t length) = 0;
  // Head and a whole in-memory body in one write.
  virtual Status Respond(int status, const Headers& headers, std::string_view body) = 0;
  virtual bool head_written() const = 0;
  // Asks to close the connection after this response.
  virtual void CloseAfterResponse() = 0;
};

using Handler = std::function<void(const Request&, BodyReader&, ResponseWriter&)>;
// Answers requests the server rejects before any handler runs (malformed, too large headers,
// too many connections): status and a short reason.
using RejectHandler = std::function<void(int status, std::string_view reason, ResponseWriter&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9000;       // 0: pick a free port (see Server::port())
  std::string tls_cert_file;  // PEM; TLS is on when both files are set
  std::string tls_key_file;
  size_t max_header_bytes = 64 * 1024;
  int idle_timeout_seconds = 60;  // also bounds a stall in the middle of a request or response
  size_t max_connections = 2048;  // past it, clients get 503 from the accepting thread
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options, Handler handler,
                                               RejectHandler reject);
  virtual ~Server() = default;
  virtual uint16_t port() const = 0;
  // Stops accepting, closes every connection and joins all threads. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace ferry::http
