#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace ferry::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Echoes the request body back, prefixed by the method and path.
// Paths starting with /reject are answered 403 without reading the body.
void EchoHandler(const Request& req, BodyReader& body, ResponseWriter& out) {
  if (req.path.starts_with("/reject")) {
    (void)out.Respond(403, Headers(), "denied");
    return;
  }
  if (req.path == "/split") {
    // A handler that copies input into a header: the server must not send it.
    Headers h;
    h.Add("Content-Type", "text/html\r\nSet-Cookie: sid=x\r\n\r\n<script>");
    Status st = out.Respond(200, h, "body");
    EXPECT_FALSE(st.ok());
    return;
  }
  std::string data;
  char buf[1000];
  for (;;) {
    auto n = body.Read(buf);
    if (!n.ok()) return;
    if (*n == 0) break;
    data.append(buf, *n);
  }
  Headers h;
  h.Add("X-Method", req.method);
  if (req.path == "/bigfile") {
    // 16 MiB of a file, sent in one SendFile call.
    constexpr uint64_t kSize = 16 << 20;
    char path[] = "/tmp/ferry_http_testXXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    unlink(path);
    ASSERT_EQ(ftruncate(fd, kSize), 0);
    if (out.WriteHead(200, h, kSize).ok()) (void)out.SendFile(fd, 0, kSize);
    close(fd);
    return;
  }
  if (req.path == "/file") {
    char path[] = "/tmp/ferry_http_testXXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    unlink(path);
    ASSERT_EQ(write(fd, "0123456789", 10), 10);
    ASSERT_TRUE(out.WriteHead(200, h, 4).ok());
    ASSERT_TRUE(out.SendFile(fd, 3, 4).ok());
    close(fd);
    return;
  }
  (void)out.Respond(200, h, req.path + "|" + req.query + "|" + data);
}

void Reject(int status, std::string_view reason, ResponseWriter& out) {
  (void)out.Respond(status, Headers(), std::string(reason));
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.port = 0;
    options.max_header_bytes = 4096;
    options.idle_timeout_seconds = 2;
    auto server = Server::Start(options, EchoHandler, Reject);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  void TearDown() override { server_->Stop(); }

  tcp::socket Connect() {
    tcp::socket s(io_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    return s;
  }

  static std::string ReadResponse(tcp::socket& s) { return ReadResponseOn(s); }

 public:
  // Reads one response with a Content-Length body.
  static std::string ReadResponseOn(tcp::socket& s) {
    std::string data;
    char c;
    while (data.find("\r\n\r\n") == std::string::npos) {
      if (asio::read(s, asio::buffer(&c, 1)) != 1) return data;
      data.push_back(c);
    }
    auto pos = data.find("Content-Length: ");
    size_t len = pos == std::string::npos ? 0 : std::stoul(data.substr(pos + 16));
    std::string body(len, '\0');
    if (len) asio::read(s, asio::buffer(body));
    return data + body;
  }

 protected:
  asio::io_context io_;
  std::unique_ptr<Server> server_;
};

TEST_F(HttpServerTest, KeepAliveAndBodies) {
  auto s = Connect();
  asio::write(s, asio::buffer(std::string("PUT /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5"
                                          "\r\n\r\nhello")));
  std::string r1 = ReadResponse(s);
  EXPECT_NE(r1.find("HTTP/1.1 200 OK"), std::string::npos);
  EXPECT_NE(r1.find("/a%20b|x=1|hello"), std::string::npos);
  // Chunked transfer encoding is decoded by the server.
  asio::write(s, asio::buffer(std::string("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
                                          "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")));
  std::string r2 = ReadResponse(s);
  EXPECT_NE(r2.find("/c||abcde"), std::string::npos);
  asio::write(s, asio::buffer(std::string("GET /file HTTP/1.1\r\nHost: h\r\n\r\n")));
  std::string r3 = ReadResponse(s);
  EXPECT_NE(r3.find("\r\n\r\n3456"), std::string::npos) << r3;
}

TEST_F(HttpServerTest, PipelinedBodiesStayApart) {
  // Content-Length bodies are read without the parser: the bytes of the next request, sent
  // in the same segment, must be left for it.
  auto s = Connect();
  asio::write(
      s, asio::buffer(std::string("PUT /p1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                                  "PUT /p2 HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\ndefg"
                                  "GET /p3 HTTP/1.1\r\nHost: h\r\n\r\n")));
  EXPECT_NE(ReadResponse(s).find("/p1||abc"), std::string::npos);
  EXPECT_NE(ReadResponse(s).find("/p2||defg"), std::string::npos);
  EXPECT_NE(ReadResponse(s).find("/p3||"), std::string::npos);
}

TEST_F(HttpServerTest, LargeBodyArrivesWhole) {
  auto s = Connect();
  std::string body(300 * 1000 + 7, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  asio::write(s, asio::buffer("PUT /big HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n"));
  // Sent in pieces so that the server reads from the socket as well as from its buffer.
  for (size_t off = 0; off < body.size(); off += 65536) {
    asio::write(s, asio::buffer(body.data() + off, std::min<size_t>(65536, body.size() - off)));
  }
  std::string r = ReadResponse(s);
  EXPECT_NE(r.find("/big||" + body), std::string::npos);
  asio::write(s, asio::buffer(std::string("GET /after HTTP/1.1\r\nHost: h\r\n\r\n")));
  EXPECT_NE(ReadResponse(s).find("/after||"), std::string::npos);
}

TEST_F(HttpServerTest, ExpectContinueIsAnswered) {
  auto s = Connect();
  asio::write(s, asio::buffer(std::string("PUT /e HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                                          "Expect: 100-continue\r\n\r\n")));
  std::string cont(25, '\0');
  asio::read(s, asio::buffer(cont));
  EXPECT_EQ(cont, "HTTP/1.1 100 Continue\r\n\r\n");
  asio::write(s, asio::buffer(std::string("xyz")));
  EXPECT_NE(ReadResponse(s).find("/e||xyz"), std::string::npos);
}

// A client that sent "Expect: 100-continue" always sees the interim answer before the final
// one when the connection is kept: botocore misreads the next response on a connection whose
// Expect request got a final answer alone (a zero-byte PUT, then any PUT, stalled 60 s).
TEST_F(HttpServerTest, ExpectContinueWithEmptyBodyKeepsTheClientInStep) {
  auto s = Connect();
  for (int i = 0; i < 2; ++i) {
    asio::write(s,
                asio::buffer(std::string("PUT /empty HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n"
                                         "Expect: 100-continue\r\n\r\n")));
    std::string cont(25, '\0');
    asio::read(s, asio::buffer(cont));
    EXPECT_EQ(cont, "HTTP/1.1 100 Continue\r\n\r\n");
    std::string r = ReadResponse(s);
    EXPECT_TRUE(r.starts_with("HTTP/1.1 200 OK")) << r;
    EXPECT_EQ(r.find("Connection: close"), std::string::npos) << r;
  }
}

// A refused request's body is not read on: the client, never invited, does not send it, and
// the connection closes after the answer.
TEST_F(HttpServerTest, ExpectContinueOnARejectedBodyClosesWithoutContinue) {
  for (const char* length : {"5", "1000000000"}) {
    auto s = Connect();
    asio::write(s, asio::buffer("PUT /reject HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                                std::string(length) + "\r\nExpect: 100-continue\r\n\r\n"));
    std::string r = ReadResponse(s);
    EXPECT_TRUE(r.starts_with("HTTP/1.1 403")) << r;
    EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
    char c;
    boost::system::error_code ec;
    asio::read(s, asio::buffer(&c, 1), ec);
    EXPECT_TRUE(ec);  // closed: the body is never read
  }
}

// A refused body that arrived with its head is dropped from what was read already, and the
// connection goes on.
TEST_F(HttpServerTest, RejectedBodyAlreadyReceivedKeepsTheConnection) {
  auto s = Connect();
  asio::write(s, asio::buffer(std::string("PUT /reject HTTP/1.1\r\nHost: h\r\nContent-Length: 5"
                                          "\r\n\r\nhelloGET /next HTTP/1.1\r\nHost: h\r\n\r\n")));
  std::string r = ReadResponse(s);
  EXPECT_TRUE(r.starts_with("HTTP/1.1 403")) << r;
  EXPECT_EQ(r.find("Connection: close"), std::string::npos) << r;
  EXPECT_NE(ReadResponse(s).find("/next||"), std::string::npos);
}

// After refusing a request the server stops reading its body, even one arriving at a good
// rate: it used to read and drop up to 1 MiB, so a client could keep a refused connection
// busy. It answers "Connection: close" and closes within its short linger.
TEST_F(HttpServerTest, RejectedBodyStillArrivingIsNotReadOn) {
  auto s = Connect();
  asio::write(s, asio::buffer(std::string("PUT /reject HTTP/1.1\r\nHost: h\r\n"
                                          "Content-Length: 1048576\r\n\r\n0123456789")));
  std::string r = ReadResponse(s);
  EXPECT_TRUE(r.starts_with("HTTP/1.1 403")) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  // Keep sending 16 KiB every 50 ms (320 KB/s); the server closes anyway, well before the
  // 3.3 s the whole body would take.
  auto start = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  std::string chunk(16 * 1024, 'x');
  bool closed = false;
  for (int i = 0; i < 64 && !closed; ++i) {
    asio::write(s, asio::buffer(chunk), ec);
    if (ec) closed = true;
    pollfd p{s.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) closed = true;  // EOF or reset
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(3000));
}

TEST_F(HttpServerTest, HeaderValuesWithLineBreaksAreNeverSent) {
  auto s = Connect();
  asio::write(s, asio::buffer(std::string("GET /split HTTP/1.1\r\nHost: h\r\n\r\n")));
  std::string r = ReadResponse(s);
  EXPECT_TRUE(r.starts_with("HTTP/1.1 500")) << r;  // "no response" from the handler
  EXPECT_EQ(r.find("Set-Cookie"), std::string::npos) << r;
  EXPECT_EQ(r.find("<script>"), std::string::npos) << r;
}

// A body dripping in faster than the idle timeout but far below any real client's rate is
// cut off once it has taken longer than the idle timeout (2 s here).
TEST_F(HttpServerTest, DrippingBodyIsCutOff) {
  auto s = Connect();
  asio::write(s, asio::buffer(std::string("PUT /drip HTTP/1.1\r\nHost: h\r\nContent-Length: 100"
                                          "\r\n\r\n")));
  boost::system::error_code ec;
  int sent = 0;
  for (; sent < 40 && !ec; ++sent) {
    asio::write(s, asio::buffer(std::string("x")), ec);
    ::usleep(250 * 1000);
    // The server closes the connection (after a 500 or without an answer).
    pollfd p{s.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) break;
  }
  EXPECT_LT(sent, 40);  // cut off well before the 10 s the drip would take
  char c;
  while (!ec) asio::read(s, asio::buffer(&c, 1), ec);
  EXPECT_TRUE(ec);
}

TEST_F(HttpServerTest, OversizedHeaderIsRejectedAndServerKeepsServing) {
  auto s = Connect();
  std::string big = "GET / HTTP/1.1\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n";
  boost::system::error_code ec;
  asio::write(s, asio::buffer(big), ec);
  EXPECT_NE(ReadResponse(s).find(" 431 "), std::string::npos);
  auto s2 = Connect();
  asio::write(s2, asio::buffer(std::string("GET /ok HTTP/1.1\r\nHost: h\r\n\r\n")));
  EXPECT_NE(ReadResponse(s2).find("/ok||"), std::string::npos);
}

TEST_F(HttpServerTest, GarbageGets400) {
  auto s = Connect();
  asio::write(s, asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
  EXPECT_NE(ReadResponse(s).find(" 400 "), std::string::npos);
}

TEST_F(HttpServerTest, StalledBodyTimesOut) {
  auto s = Connect();
  asio::write(s, asio::buffer(std::string("PUT /s HTTP/1.1\r\nHost: h\r\nContent-Length: 100"
                                          "\r\n\r\nabc")));
  // The server gives up on the stalled body after the idle timeout and closes.
  char c;
  boost::system::error_code ec;
  asio::read(s, asio::buffer(&c, 1), ec);
  EXPECT_TRUE(ec);
}

int CountEntries(const char* dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++n;
  }
  return n;
}

// A finished connection's socket is closed when its answer is done, not when the next client
// connects.
TEST_F(HttpServerTest, FinishedConnectionsCloseAtOnce) {
  // Plain sockets, so the client side opens no descriptors besides its connection.
  auto request_on_new_connection = [&] {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server_->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    std::string request = "GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    ASSERT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
    std::string response;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) response.append(buf, n);
    EXPECT_NE(response.find("/x||"), std::string::npos);
    ::close(fd);
  };
  auto baseline = CountEntries("/proc/self/fd");
  for (int i = 0; i < 3; ++i) request_on_new_connection();
  ::usleep(200 * 1000);
  EXPECT_EQ(CountEntries("/proc/self/fd"), baseline);
}

// Past the connection limit a client gets 503 and is closed, without a thread per refused
// connection.
TEST(HttpServerLimits, ConnectionsOverTheLimitAreRefusedWithoutAThreadEach) {
  ServerOptions options;
  options.port = 0;
  options.max_connections = 2;
  auto server = Server::Start(options, EchoHandler, Reject);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  asio::io_context io;
  auto connect = [&] {
    tcp::socket s(io);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), (*server)->port()));
    return s;
  };
  auto held1 = connect();
  auto held2 = connect();
  ::usleep(100 * 1000);
  const int threads = CountEntries("/proc/self/task");
  std::vector<tcp::socket> refused;
  // Clients that connect and send nothing: each used to hold a thread until its idle timeout.
  for (int i = 0; i < 30; ++i) refused.push_back(connect());
  ::usleep(100 * 1000);
  EXPECT_EQ(CountEntries("/proc/self/task"), threads);
  for (auto& s : refused) {
    std::string r = HttpServerTest::ReadResponseOn(s);
    EXPECT_TRUE(r.starts_with("HTTP/1.1 503")) << r;
    EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  }
  // Once a held connection ends, a new client is served.
  held1.close();
  ::usleep(100 * 1000);
  auto s = connect();
  asio::write(s, asio::buffer(std::string("GET /ok HTTP/1.1\r\nHost: h\r\n\r\n")));
  EXPECT_NE(HttpServerTest::ReadResponseOn(s).find("/ok||"), std::string::npos);
  (*server)->Stop();
}

// Reads the answer to GET /bigfile on a socket with a small receive buffer, taking `chunk`
// bytes every `pause`. Returns the body bytes received before the server closed or reset the
// connection (or 15 s passed), and whether it was reset.
struct SlowRead {
  uint64_t body = 0;
  bool reset = false;
};
SlowRead ReadBigFileSlowly(uint16_t port, int receive_buffer, size_t chunk,
                           std::chrono::milliseconds pause) {
  SlowRead result;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return result;
  std::string request = "GET /bigfile HTTP/1.1\r\nHost: h\r\n\r\n";
  (void)::write(fd, request.data(), request.size());
  std::string head;
  std::vector<char> buf(chunk);
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < give_up && result.body < (16 << 20)) {
    // A reset shows at once, even with unread data still queued on this side.
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 1000);
    if (p.revents & POLLERR) {
      result.reset = true;
      break;
    }
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n <= 0) break;
    if (head.find("\r\n\r\n") == std::string::npos) {
      head.append(buf.data(), n);
      auto end = head.find("\r\n\r\n");
      if (end != std::string::npos) result.body = head.size() - end - 4;
    } else {
      result.body += n;
    }
    std::this_thread::sleep_for(pause);
  }
  ::close(fd);
  return result;
}

// A large answer to a client that reads steadily but takes longer than the idle timeout (2 s
// here) arrives whole: the timer covers a stall, not a transfer (one sendfile() of the whole
// file used to be cut off after 2 s).
TEST_F(HttpServerTest, SlowButSteadyReaderGetsTheWholeFile) {
  auto start = std::chrono::steady_clock::now();
  SlowRead read =
      ReadBigFileSlowly(server_->port(), 64 * 1024, 64 * 1024, std::chrono::milliseconds(15));
  EXPECT_EQ(read.body, uint64_t{16} << 20);
  EXPECT_GT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

// A client reading far below any real rate is cut off soon after the idle timeout, with a
// reset: closing politely would leave the kernel trickling megabytes of queued answer to it.
TEST_F(HttpServerTest, CrawlingReaderIsReset) {
  auto start = std::chrono::steady_clock::now();
  SlowRead read =
      ReadBigFileSlowly(server_->port(), 16 * 1024, 100, std::chrono::milliseconds(250));
  EXPECT_TRUE(read.reset);
  EXPECT_LT(read.body, uint64_t{16} << 20);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace ferry::http
