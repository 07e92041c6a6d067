#include "http/server.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

#include "http/connection.h"
#include "http/status_text.h"

namespace ferry::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A ResponseWriter that keeps the response as bytes, for answers sent without a connection
// thread.
class BufferedResponse final : public ResponseWriter {
 public:
  Status WriteHead(int status, const Headers& headers, uint64_t content_length) override {
    (void)content_length;
    return Respond(status, headers, "");
  }
  Status WriteBody(std::span<const char> data) override {
    bytes_.append(data.data(), data.size());
    return Status::OK();
  }
  Status SendFile(int, uint64_t, uint64_t) override {
    return Status::Internal("no files in a buffered response");
  }
  Status Respond(int status, const Headers& headers, std::string_view body) override {
    head_written_ = true;
    bytes_ = "HTTP/1.1 " + std::to_string(status) + " " + std::string(ReasonPhrase(status)) +
             "\r\nServer: ferry\r\nDate: " + FormatHttpDate(std::time(nullptr)) + "\r\n";
    for (const auto& f : headers.fields()) bytes_ += f.name + ": " + f.value + "\r\n";
    bytes_ += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    bytes_.append(body);
    return Status::OK();
  }
  bool head_written() const override { return head_written_; }
  void CloseAfterResponse() override {}
  std::string Take() { return std::move(bytes_); }

 private:
  std::string bytes_;
  bool head_written_ = false;
};

// One accepted connection: its socket, the thread serving it, and the watchdog's view of it.
struct ConnectionSlot {
  explicit ConnectionSlot(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  std::thread thread;
  std::atomic<int64_t> blocked_since_ms{0};  // 0 while not waiting on the network
  std::atomic<bool> finished{false};
};

class ServerImpl final : public Server {
 public:
  ServerImpl(const ServerOptions& options, Handler handler, RejectHandler reject)
      : options_(options),
        handler_(std::move(handler)),
        reject_(std::move(reject)),
        acceptor_(io_) {}

  ~ServerImpl() override { Stop(); }

  Status Listen() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return Status::InvalidArgument("bad listen address " + options_.host);
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(1024, ec);
    if (ec) {
      return Status::IOError("listen on " + options_.host + ":" + std::to_string(options_.port) +
                             ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
      tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
      // TLS 1.2 only with forward secrecy and AEAD (ECDHE with AES-GCM or ChaCha20-Poly1305),
      // the server choosing; TLS 1.3's suites are all of that kind already.
      static constexpr const char* kTls12Ciphers =
          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
      if (SSL_CTX_set_cipher_list(tls_->native_handle(), kTls12Ciphers) != 1) {
        return Status::Internal("TLS: no usable cipher suites");
      }
      SSL_CTX_set_options(tls_->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
      tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
      if (!ec) tls_->use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec);
      if (ec) return Status::InvalidArgument("TLS certificate or key: " + ec.message());
    }
    acceptor_thread_ = std::thread([this] { AcceptLoop(); });
    watchdog_thread_ = std::thread([this] { WatchdogLoop(); });
    return Status::OK();
  }

  uint16_t port() const override { return port_; }

  void Stop() override {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    stop_cv_.notify_all();
    // Wakes the blocked accept(); the acceptor thread then sees stopping_ and leaves.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    if (acceptor_thread_.joinable()) acceptor_thread_.join();
    if (watchdog_thread_.joinable()) watchdog_thread_.join();
    std::list<std::unique_ptr<ConnectionSlot>> slots;
    {
      std::lock_guard lock(mu_);
      for (auto& slot : connections_) {
        if (!slot->finished) ::shutdown(slot->socket.native_handle(), SHUT_RDWR);
      }
      slots.swap(connections_);
    }
    for (auto& slot : slots) slot->thread.join();
    boost::system::error_code ec;
    acceptor_.close(ec);
  }

 private:
  void AcceptLoop() {
    for (;;) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) {
        {
          std::lock_guard lock(mu_);
          if (stopping_) return;
        }
        // Out of descriptors or a transient network error: back off instead of spinning.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      std::lock_guard lock(mu_);
      if (stopping_) return;
      ReapFinishedLocked();
      if (connections_.size() >= options_.max_connections) {
        RefuseOverLimit(socket);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto slot = std::make_unique<ConnectionSlot>(std::move(socket));
      ConnectionSlot* raw = slot.get();
      raw->thread = std::thread([this, raw] { Serve(*raw); });
      connections_.push_back(std::move(slot));
    }
  }

  // A connection past the limit gets a 503 from the accepting thread, without blocking and
  // without a thread of its own (a flood of connections must not become a flood of threads),
  // and is closed. What the client already sent is read and dropped first, so the close does
  // not turn into a reset that discards the answer. TLS clients are just closed: answering
  // them would need a handshake.
  void RefuseOverLimit(tcp::socket& socket) {
    const int fd = socket.native_handle();
    if (!tls_) {
      char sink[4096];
      while (::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
      }
      std::string answer = OverLimitAnswer();
      (void)::send(fd, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    boost::system::error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

  std::string OverLimitAnswer() {
    BufferedResponse response;
    reject_(503, "too many connections", response);
    return response.Take();
  }

  void Serve(ConnectionSlot& slot) {
    // sendfile() to a peer that went away raises SIGPIPE, which would end the process; with
    // it blocked in this thread the call fails with EPIPE instead, whatever the process does
    // with signals.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    const int fd = slot.socket.native_handle();
    ConnectionContext ctx{options_, handler_, reject_, slot.blocked_since_ms};
    ConnectionEnd end = ConnectionEnd::kClean;
    if (tls_) {
      asio::ssl::stream<tcp::socket&> stream(slot.socket, *tls_);
      if (Blocking(slot, [&] {
            boost::system::error_code ec;
            stream.handshake(asio::ssl::stream_base::server, ec);
            return !ec;
          })) {
        end = ServeConnection(stream, fd, ctx);
        if (end != ConnectionEnd::kAbort) {
          // Sends close_notify without waiting for the client's: marking the client's as
          // received makes the shutdown one write, which the watchdog bounds like any other
          // (a client that went silent after its answer held this thread forever).
          SSL_set_shutdown(stream.native_handle(), SSL_RECEIVED_SHUTDOWN);
          Blocking(slot, [&] {
            boost::system::error_code ec;
            stream.shutdown(ec);
            return !ec;
          });
        }
      }
    } else {
      end = ServeConnection(slot.socket, fd, ctx);
    }
    if (end == ConnectionEnd::kAbort) {
      // A reset: the kernel drops what is queued instead of trickling it to the client.
      linger reset{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    } else {
      ::shutdown(fd, SHUT_WR);
      if (end == ConnectionEnd::kUnreadInput) DiscardInput(fd);
    }
    // Closed here, at once, under the lock the watchdog and Stop() take before they touch a
    // socket, so neither can reach a descriptor number the kernel has handed out again.
    std::lock_guard lock(mu_);
    boost::system::error_code ec;
    slot.socket.close(ec);
    slot.finished = true;
  }

  // The answer went out while the client may still be sending a body nobody will read.
  // Closing now could make the kernel answer that data with a reset, which can destroy the
  // answer before the client read it; so, as nginx's lingering close, read and drop input
  // until the client closes, for a bounded time.
  static void DiscardInput(int fd) {
    constexpr int64_t kLingerMillis = 2000;
    const int64_t deadline = SteadyMillis() + kLingerMillis;
    char sink[64 * 1024];
    for (int64_t left = kLingerMillis; left > 0; left = deadline - SteadyMillis()) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) return;
      if (::recv(fd, sink, sizeof sink, MSG_DONTWAIT) <= 0) return;
    }
  }

  template <typename F>
  bool Blocking(ConnectionSlot& slot, F&& f) {
    slot.blocked_since_ms = SteadyMillis();
    bool ok = f();
    slot.blocked_since_ms = 0;
    return ok;
  }

  // Joins connection threads that have ended (their sockets are closed already).
  void ReapFinishedLocked() {
    for (auto it = connections_.begin(); it != connections_.end();) {
      if ((*it)->finished) {
        (*it)->thread.join();
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // Shuts down connections blocked on the network for longer than the idle timeout (the
  // blocked read or write then fails and the connection thread ends), and joins the threads of
  // connections that ended.
  void WatchdogLoop() {
    const int64_t limit_ms = int64_t{options_.idle_timeout_seconds} * 1000;
    std::unique_lock lock(mu_);
    while (!stopping_) {
      stop_cv_.wait_for(lock, std::chrono::milliseconds(500));
      ReapFinishedLocked();
      int64_t now = SteadyMillis();
      for (auto& slot : connections_) {
        int64_t since = slot->blocked_since_ms;
        if (!slot->finished && since != 0 && now - since > limit_ms) {
          ::shutdown(slot->socket.native_handle(), SHUT_RDWR);
        }
      }
    }
  }

  ServerOptions options_;
  Handler handler_;
  RejectHandler reject_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::unique_ptr<asio::ssl::context> tls_;
  uint16_t port_ = 0;
  std::thread acceptor_thread_;
  std::thread watchdog_thread_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;                                   // guarded by mu_
  std::list<std::unique_ptr<ConnectionSlot>> connections_;  // guarded by mu_
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, Handler handler,
                                              RejectHandler reject) {
  auto server = std::make_unique<ServerImpl>(options, std::move(handler), std::move(reject));
  FERRY_RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace ferry::http
