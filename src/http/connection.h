// The request loop of one HTTP/1.1 connection, generic over the byte stream (plain TCP or
// TLS). Internal to http/; server.cc instantiates it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "http/server.h"
#include "http/status_text.h"

namespace ferry::http {

// How a connection's request loop ended. kUnreadInput: the client may still be sending bytes
// nobody will read (an answered request's body, a rejected head), which the caller should
// drain for a moment before closing so the close does not reset the answer away. kAbort: a
// transfer failed or was cut off (a stall, a crawl, a vanished peer); the caller resets the
// connection, dropping whatever is still queued for a client that is not taking it.
enum class ConnectionEnd { kClean, kUnreadInput, kAbort };

struct ConnectionContext {
  const ServerOptions& options;
  const Handler& handler;
  const RejectHandler& reject;
  std::atomic<int64_t>& blocked_since_ms;  // read by the watchdog
};

namespace detail {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace asio = boost::asio;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// "address:port" of the connection's other end (for logs); empty when unknown.
inline std::string PeerAddress(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  char host[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return "";
}

// A request body must arrive, and a response body leave, at this average rate once it has
// taken longer than the idle timeout (as Apache's mod_reqtimeout MinRate, nginx's send
// timeouts): the idle timer alone restarts on every byte, so a body dripping a byte every few
// seconds, or a client reading its answer that slowly, held the connection forever.
constexpr uint64_t kMinBytesPerSecond = 500;

// Files are sent in pieces of this size: the idle timer covers one blocking call, so a whole
// large file in one sendfile() was cut off by the timer on any link slower than
// size / idle timeout.
constexpr uint64_t kSendFilePiece = 1 << 20;

inline int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <typename Stream>
class Exchange final : public BodyReader, public ResponseWriter {
 public:
  using Parser = bhttp::request_parser<bhttp::buffer_body>;

  Exchange(Stream& stream, int fd, beast::flat_buffer& buffer, Parser& parser,
           ConnectionContext& ctx, bool expect_continue, bool keep_alive, bool head_request)
      : stream_(stream),
        fd_(fd),
        buffer_(buffer),
        parser_(parser),
        ctx_(ctx),
        continue_pending_(expect_continue),
        keep_alive_(keep_alive),
        head_request_(head_request) {
    // A body framed by Content-Length is read straight into the handler's buffer (see
    // ReadDirect); chunked bodies go through the parser.
    if (parser_.is_header_done() && !parser_.is_done() && !parser_.chunked()) {
      if (auto length = parser_.content_length()) {
        direct_body_ = true;
        body_left_ = *length;
      }
    }
  }

  // BodyReader
  Result<size_t> Read(std::span<char> out) override {
    if (out.empty()) return size_t{0};
    if (body_started_ms_ == 0) body_started_ms_ = NowMillis();
    FERRY_RETURN_IF_ERROR(CheckRate(body_started_ms_, bytes_read_, "request body arrives"));
    if (direct_body_) return ReadDirect(out);
    while (!parser_.is_done()) {
      if (continue_pending_) {
        continue_pending_ = false;
        FERRY_RETURN_IF_ERROR(WriteRaw(kContinue));
      }
      auto& body = parser_.get().body();
      body.data = out.data();
      body.size = out.size();
      boost::system::error_code ec;
      Track([&] { bhttp::read_some(stream_, buffer_, parser_, ec); });
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) {
        broken_ = true;
        return Status::Unavailable("reading request body: " + ec.message());
      }
      size_t n = out.size() - body.size;
      if (n > 0) {
        bytes_read_ += n;
        return n;
      }
    }
    return size_t{0};
  }
  uint64_t bytes_read() const override { return bytes_read_; }

  // ResponseWriter
  Status WriteHead(int status, const Headers& headers, uint64_t content_length) override {
    FERRY_ASSIGN_OR_RETURN(std::string head, FormatHead(status, headers, content_length));
    body_remaining_ = head_request_ ? 0 : content_length;
    head_written_ = true;
    response_started_ms_ = NowMillis();
    if constexpr (std::is_same_v<Stream, asio::ip::tcp::socket>) {
      // A body follows: let the head leave in the same segment as the body's first bytes
      // instead of as a packet of its own (one wakeup less for the client per response).
      if (body_remaining_ > 0) return WriteMore(head);
    }
    return WriteRaw(head);
  }

  Status Respond(int status, const Headers& headers, std::string_view body) override {
    FERRY_ASSIGN_OR_RETURN(std::string head, FormatHead(status, headers, body.size()));
    head_written_ = true;
    body_remaining_ = 0;
    if (head_request_) body = {};
    std::vector<asio::const_buffer> buffers{asio::buffer(head), asio::buffer(body)};
    boost::system::error_code ec;
    Track([&] { asio::write(stream_, buffers, ec); });
    if (ec) {
      broken_ = true;
      return Status::Unavailable("writing response: " + ec.message());
    }
    return Status::OK();
  }

  Status WriteBody(std::span<const char> data) override {
    if (head_request_) return Status::OK();
    if (data.size() > body_remaining_) return Status::Internal("response body exceeds length");
    FERRY_RETURN_IF_ERROR(CheckSendRate());
    body_remaining_ -= data.size();
    bytes_sent_ += data.size();
    return WriteRaw(std::string_view(data.data(), data.size()));
  }

  Status SendFile(int file_fd, uint64_t offset, uint64_t length) override {
    if (head_request_) return Status::OK();
    if (length > body_remaining_) return Status::Internal("response body exceeds length");
    body_remaining_ -= length;
    if constexpr (std::is_same_v<Stream, asio::ip::tcp::socket>) {
      return SendFileZeroCopy(file_fd, offset, length);
    } else {
      std::vector<char> buf(256 * 1024);
      while (length > 0) {
        ssize_t n = ::pread(file_fd, buf.data(), std::min<uint64_t>(length, buf.size()),
                            static_cast<off_t>(offset));
        if (n <= 0) {
          broken_ = true;
          return n == 0 ? Status::IOError("file ended early") : Status::FromErrno("pread", errno);
        }
        FERRY_RETURN_IF_ERROR(CheckSendRate());
        FERRY_RETURN_IF_ERROR(WriteRaw(std::string_view(buf.data(), static_cast<size_t>(n))));
        bytes_sent_ += static_cast<uint64_t>(n);
        offset += static_cast<uint64_t>(n);
        length -= static_cast<uint64_t>(n);
      }
      return Status::OK();
    }
  }

  bool head_written() const override { return head_written_; }
  void CloseAfterResponse() override { close_requested_ = true; }

  // Whether the connection can carry another request after this exchange.
  bool Reusable() const {
    return keep_alive_ && !close_requested_ && !broken_ && head_written_ && body_remaining_ == 0 &&
           BodyDone();
  }

  // After the handler: drop the rest of an unread body when it has arrived already, so the
  // connection can be reused. Nothing more is read from the network for a request that has
  // its answer: a client sending a body slowly after a refusal must not hold the connection,
  // so the connection closes instead.
  void DrainBufferedBody() {
    // Most requests read their whole body: no sink to allocate (and zero) for them.
    if (!broken_ && !BodyDone() && RestIsBuffered()) {
      constexpr size_t kSink = 64 * 1024;
      std::unique_ptr<char[]> sink(new char[kSink]);
      while (!BodyDone()) {
        auto n = Read(std::span<char>(sink.get(), kSink));
        if (!n.ok() || *n == 0) return;
      }
    }
  }

  // How the connection ends if this exchange is its last.
  ConnectionEnd End() const {
    if (broken_) return ConnectionEnd::kAbort;
    return BodyDone() ? ConnectionEnd::kClean : ConnectionEnd::kUnreadInput;
  }

 private:
  // Whether this response will leave the connection reusable, decided before the head is sent
  // so the Connection header tells the client the truth.
  bool WillKeepAlive() const {
    if (!keep_alive_ || close_requested_ || broken_) return false;
    return RestIsBuffered();
  }

  // Whether the body is read or its unread rest sits in the buffer already.
  bool RestIsBuffered() const {
    return BodyDone() || (direct_body_ && buffer_.size() >= body_left_);
  }

  // The response head, or InvalidArgument (nothing sent) when a field would break the
  // framing: a CR, LF or NUL in a name or value would let whoever chose it add headers or a
  // body of their own (response splitting).
  Result<std::string> FormatHead(int status, const Headers& headers, uint64_t content_length) {
    for (const auto& f : headers.fields()) {
      if (!SafeHeaderText(f.name) || !SafeHeaderText(f.value) || f.name.empty()) {
        return Status::InvalidArgument("response header " + f.name + " holds a line break or NUL");
      }
    }
    std::string head;
    head.reserve(512);
    // A client that asked for "100 Continue" and gets a final answer without one may or may
    // not send its body now, and some clients (botocore up to at least 1.34) parse the next
    // response on the connection wrongly. So the interim answer precedes the final one
    // whenever the connection is kept, which is when the body needs no more reading (an empty
    // body included: RFC 9110 lets a server send it there too); otherwise the connection
    // closes after the answer and the client, never invited, sends no body.
    if (continue_pending_ && keep_alive_ && !close_requested_ && !broken_ && RestIsBuffered()) {
      continue_pending_ = false;
      head += kContinue;
    }
    if (!WillKeepAlive()) close_requested_ = true;
    head += "HTTP/1.1 ";
    head += std::to_string(status);
    head += ' ';
    head += ReasonPhrase(status);
    head += "\r\nServer: ferry\r\nDate: ";
    head += FormatHttpDate(std::time(nullptr));
    head += "\r\n";
    for (const auto& f : headers.fields()) {
      head += f.name;
      head += ": ";
      head += f.value;
      head += "\r\n";
    }
    if (status >= 200 && status != 204 && status != 304) {
      head += "Content-Length: ";
      head += std::to_string(content_length);
      head += "\r\n";
    }
    if (close_requested_) head += "Connection: close\r\n";
    head += "\r\n";
    return head;
  }

  static bool SafeHeaderText(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
  }

  bool BodyDone() const { return direct_body_ ? body_left_ == 0 : parser_.is_done(); }

  // Fails (and breaks the connection) when bytes moved since started_ms average below the
  // minimum rate, once the transfer has taken longer than the idle timeout.
  Status CheckRate(int64_t started_ms, uint64_t bytes, std::string_view what) {
    const int64_t elapsed_ms = NowMillis() - started_ms;
    const int64_t grace_ms = int64_t{ctx_.options.idle_timeout_seconds} * 1000;
    if (elapsed_ms <= grace_ms ||
        bytes * 1000 >= kMinBytesPerSecond * static_cast<uint64_t>(elapsed_ms)) {
      return Status::OK();
    }
    broken_ = true;
    return Status::Unavailable(std::string(what) + " slower than " +
                               std::to_string(kMinBytesPerSecond) + " bytes/s");
  }

  Status CheckSendRate() { return CheckRate(response_started_ms_, bytes_sent_, "response leaves"); }

  // Reads a Content-Length body without the parser: first what the header read left in the
  // buffer, then from the socket straight into out, never past the body's end (bytes of a
  // pipelined next request stay unread). Saves the copy through the parser's buffer.
  Result<size_t> ReadDirect(std::span<char> out) {
    if (body_left_ == 0) return size_t{0};
    if (continue_pending_) {
      continue_pending_ = false;
      FERRY_RETURN_IF_ERROR(WriteRaw(kContinue));
    }
    size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), body_left_));
    size_t n = 0;
    if (buffer_.size() > 0) {
      n = asio::buffer_copy(asio::buffer(out.data(), want), buffer_.data());
      buffer_.consume(n);
    } else {
      boost::system::error_code ec;
      Track([&] { n = stream_.read_some(asio::buffer(out.data(), want), ec); });
      if (ec) {
        broken_ = true;
        return Status::Unavailable("reading request body: " + ec.message());
      }
    }
    body_left_ -= n;
    bytes_read_ += n;
    return n;
  }

  // Sends data with MSG_MORE (plain TCP): the kernel holds it until more data follows.
  Status WriteMore(std::string_view data) {
    while (!data.empty()) {
      boost::system::error_code ec;
      size_t n = 0;
      Track([&] { n = stream_.send(asio::buffer(data.data(), data.size()), MSG_MORE, ec); });
      if (ec) {
        broken_ = true;
        return Status::Unavailable("writing response: " + ec.message());
      }
      data.remove_prefix(n);
    }
    return Status::OK();
  }

  Status WriteRaw(std::string_view data) {
    boost::system::error_code ec;
    Track([&] { asio::write(stream_, asio::buffer(data.data(), data.size()), ec); });
    if (ec) {
      broken_ = true;
      return Status::Unavailable("writing response: " + ec.message());
    }
    return Status::OK();
  }

  Status SendFileZeroCopy(int file_fd, uint64_t offset, uint64_t length) {
    off_t off = static_cast<off_t>(offset);
    while (length > 0) {
      FERRY_RETURN_IF_ERROR(CheckSendRate());
      ssize_t n = 0;
      Track([&] {
        n = ::sendfile(fd_, file_fd, &off, std::min(length, kSendFilePiece));
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          pollfd p{fd_, POLLOUT, 0};
          ::poll(&p, 1, ctx_.options.idle_timeout_seconds * 1000);
          n = -2;  // retry
        }
      });
      if (n == -2) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        broken_ = true;
        return n == 0 ? Status::IOError("file ended early")
                      : Status::Unavailable(std::string("sendfile: ") + std::strerror(errno));
      }
      length -= static_cast<uint64_t>(n);
      bytes_sent_ += static_cast<uint64_t>(n);
    }
    return Status::OK();
  }

  template <typename F>
  void Track(F&& f) {
    ctx_.blocked_since_ms = NowMillis();
    f();
    ctx_.blocked_since_ms = 0;
  }

  Stream& stream_;
  int fd_;
  beast::flat_buffer& buffer_;
  Parser& parser_;
  ConnectionContext& ctx_;
  bool continue_pending_;
  bool keep_alive_;
  bool head_request_;  // HEAD: the head announces a length but no body follows
  bool head_written_ = false;
  bool close_requested_ = false;
  bool broken_ = false;
  uint64_t body_remaining_ = 0;
  uint64_t bytes_read_ = 0;
  bool direct_body_ = false;         // Content-Length body read by ReadDirect, not the parser
  uint64_t body_left_ = 0;           // with direct_body_: body bytes not yet read
  int64_t body_started_ms_ = 0;      // when the body was first asked for
  int64_t response_started_ms_ = 0;  // when the head was sent
  uint64_t bytes_sent_ = 0;          // response body bytes handed to the stream
};

}  // namespace detail

// Serves requests on one connection until the peer closes, an error occurs or keep-alive ends.
template <typename Stream>
ConnectionEnd ServeConnection(Stream& stream, int fd, ConnectionContext& ctx) {
  namespace bhttp = boost::beast::http;
  boost::beast::flat_buffer buffer;
  for (;;) {
    typename detail::Exchange<Stream>::Parser parser;
    parser.header_limit(static_cast<std::uint32_t>(ctx.options.max_header_bytes));
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // boost::none misbehaves in 1.74
    boost::system::error_code ec;
    ctx.blocked_since_ms = detail::NowMillis();
    bhttp::read_header(stream, buffer, parser, ec);
    ctx.blocked_since_ms = 0;
    if (ec) {
      bool clean_close = ec == bhttp::error::end_of_stream || ec == boost::asio::error::eof ||
                         ec == boost::asio::error::connection_reset ||
                         ec == boost::asio::error::shut_down ||
                         ec == boost::asio::error::broken_pipe;
      if (!clean_close && buffer.size() > 0) {
        detail::Exchange<Stream> reply(stream, fd, buffer, parser, ctx, false, false, false);
        int status = ec == bhttp::error::header_limit ? 431 : 400;
        ctx.reject(status, ec.message(), reply);
        return ConnectionEnd::kUnreadInput;
      }
      return ConnectionEnd::kClean;
    }
    auto& msg = parser.get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    for (const auto& field : msg) {
      req.headers.Add(std::string_view(field.name_string().data(), field.name_string().size()),
                      std::string_view(field.value().data(), field.value().size()));
    }
    if (auto len = parser.content_length()) req.content_length = *len;
    req.has_body = !parser.is_done();
    req.remote_address = detail::PeerAddress(fd);
    auto expect = req.headers.Get("expect");
    bool expect_continue = expect && EqualsIgnoreCase(*expect, "100-continue");
    detail::Exchange<Stream> exchange(stream, fd, buffer, parser, ctx, expect_continue,
                                      msg.keep_alive(), msg.method() == bhttp::verb::head);
    ctx.handler(req, exchange, exchange);
    if (!exchange.head_written()) {
      exchange.CloseAfterResponse();
      ctx.reject(500, "no response", exchange);
    } else {
      exchange.DrainBufferedBody();
      if (exchange.Reusable()) continue;
    }
    return exchange.End();
  }
}

}  // namespace ferry::http
