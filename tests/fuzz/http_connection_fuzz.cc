// The HTTP/1.1 request loop of one connection (request heads, Content-Length and chunked
// bodies, Expect: 100-continue, keep-alive, pipelining), fed from memory: the input is every
// byte a client sends. Handlers read the body or refuse without reading it, by path.
#include <atomic>
#include <boost/asio/buffer.hpp>
#include <cstdlib>
#include <string>

#include "http/connection.h"

namespace {

namespace asio = boost::asio;

// A byte stream whose reads come from the input and whose writes are counted and dropped.
class MemoryStream {
 public:
  explicit MemoryStream(std::string_view input) : input_(input) {}

  template <typename Buffers>
  size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
    if (input_.empty()) {
      ec = asio::error::eof;
      return 0;
    }
    // Short reads, as a network gives: at most 7 bytes, so every parser state is reached at
    // a read boundary somewhere.
    size_t n =
        asio::buffer_copy(buffers, asio::buffer(input_.data(), std::min<size_t>(7, input_.size())));
    input_.remove_prefix(n);
    ec = {};
    return n;
  }
  template <typename Buffers>
  size_t read_some(const Buffers& buffers) {
    boost::system::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <typename Buffers>
  size_t write_some(const Buffers& buffers, boost::system::error_code& ec) {
    ec = {};
    size_t n = asio::buffer_size(buffers);
    written_ += n;
    return n;
  }
  template <typename Buffers>
  size_t write_some(const Buffers& buffers) {
    boost::system::error_code ec;
    return write_some(buffers, ec);
  }

  using executor_type = asio::any_io_executor;
  executor_type get_executor() { return {}; }

 private:
  std::string_view input_;
  size_t written_ = 0;
};

void Handle(const ferry::http::Request& req, ferry::http::BodyReader& body,
            ferry::http::ResponseWriter& out) {
  if (req.path.starts_with("/reject")) {
    (void)out.Respond(403, {}, "denied");
    return;
  }
  std::string data;
  char buf[13];
  for (;;) {
    auto n = body.Read(buf);
    if (!n.ok()) return;  // the connection broke; nothing can be sent
    if (*n == 0) break;
    data.append(buf, *n);
  }
  if (body.bytes_read() != data.size()) std::abort();
  if (req.content_length && *req.content_length != data.size()) std::abort();
  ferry::http::Headers h;
  h.Add("X-Echo", req.headers.Get("x-echo").value_or(""));  // refused if it holds CR or LF
  if (!out.WriteHead(200, h, data.size()).ok()) return;
  (void)out.WriteBody(data);
}

void Reject(int status, std::string_view reason, ferry::http::ResponseWriter& out) {
  (void)out.Respond(status, {}, std::string(reason));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ferry::http::ServerOptions options = [] {
    ferry::http::ServerOptions o;
    o.max_header_bytes = 4096;
    return o;
  }();
  static const ferry::http::Handler handler = Handle;
  static const ferry::http::RejectHandler reject = Reject;
  std::atomic<int64_t> blocked_since_ms{0};
  ferry::http::ConnectionContext ctx{options, handler, reject, blocked_since_ms};
  MemoryStream stream(std::string_view(reinterpret_cast<const char*>(data), size));
  (void)ferry::http::ServeConnection(stream, -1, ctx);
  return 0;
}
