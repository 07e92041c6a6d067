#include "http/client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "http/server.h"

namespace ferry::http {
namespace {

// Serves: GET /bytes/N → N bytes; PUT/POST → echoes "<len>:<md of body>"; GET /stall →
// headers then nothing for a while.
void Handler(const Request& req, BodyReader& body, ResponseWriter& out) {
  std::string data;
  char buf[65536];
  for (;;) {
    auto n = body.Read(buf);
    if (!n.ok() || *n == 0) break;
    data.append(buf, *n);
  }
  Headers h;
  h.Add("X-Echo-Method", req.method);
  if (req.path.starts_with("/bytes/")) {
    size_t n = std::stoul(req.path.substr(7));
    std::string body_out(n, '\0');
    for (size_t i = 0; i < n; ++i) body_out[i] = static_cast<char>('a' + i % 26);
    (void)out.Respond(200, h, body_out);
    return;
  }
  if (req.path == "/stall") {
    (void)out.WriteHead(200, h, 10);
    (void)out.WriteBody(std::span<const char>("abc", 3));
    std::this_thread::sleep_for(std::chrono::seconds(3));
    return;
  }
  (void)out.Respond(req.path == "/missing" ? 404 : 200, h, data);
}

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.port = 0;
    auto handler = [this](const Request& req, BodyReader& body, ResponseWriter& out) {
      {
        std::lock_guard lock(peers_mu_);
        peers_.insert(req.remote_address);
      }
      Handler(req, body, out);
    };
    auto server = Server::Start(options, handler, [](int s, std::string_view, ResponseWriter& o) {
      (void)o.Respond(s, Headers(), "");
    });
    ASSERT_TRUE(server.ok());
    server_ = std::move(server).value();
    ClientOptions copts;
    copts.stall_seconds = 1;
    auto client = HttpClient::Create(copts);
    ASSERT_TRUE(client.ok());
    client_ = std::move(client).value();
  }
  std::string Url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  std::unique_ptr<Server> server_;
  std::unique_ptr<HttpClient> client_;
  // The connections requests came on (their client ends), for tests of connection reuse.
  std::mutex peers_mu_;
  std::set<std::string> peers_;  // guarded by peers_mu_
};

TEST_F(HttpClientTest, GetIntoMemoryAndSink) {
  ClientRequest req;
  req.url = Url("/bytes/100000");
  auto r = client_->Send(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), 100000u);
  EXPECT_EQ(r->headers.GetOr("x-echo-method", ""), "GET");
  std::string collected;
  BodySink sink = [&](std::string_view d) {
    collected.append(d);
    return Status::OK();
  };
  req.sink = &sink;
  r = client_->Send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(collected.size(), 100000u);
  EXPECT_EQ(r->body_bytes, 100000u);
}

TEST_F(HttpClientTest, PutFromMemoryAndFileRange) {
  ClientRequest req;
  req.method = "PUT";
  req.url = Url("/echo");
  req.body = "hello world";
  auto r = client_->Send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "hello world");
  char path[] = "/tmp/ferry_client_testXXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  unlink(path);
  std::string content(1 << 20, 'x');
  content[12345] = 'y';
  ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ClientRequest freq;
  freq.method = "PUT";
  freq.url = Url("/echo");
  freq.body_fd = fd;
  freq.body_offset = 12345;
  freq.body_length = 500000;
  r = client_->Send(freq);
  close(fd);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, content.substr(12345, 500000));
  ClientRequest empty_put;
  empty_put.method = "PUT";
  empty_put.url = Url("/echo");
  r = client_->Send(empty_put);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpClientTest, ErrorStatusIsAResultAndHeadHasNoBody) {
  ClientRequest req;
  req.url = Url("/missing");
  auto r = client_->Send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  ClientRequest head;
  head.method = "HEAD";
  head.url = Url("/bytes/50");
  r = client_->Send(head);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers.GetOr("content-length", ""), "50");
}

TEST_F(HttpClientTest, StallAndRefusedAreRetryable) {
  ClientRequest req;
  req.url = Url("/stall");
  auto r = client_->Send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().retryable());
  server_->Stop();
  ClientRequest refused;
  refused.url = Url("/bytes/1");
  r = client_->Send(refused);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().retryable());
}

TEST_F(HttpClientTest, SinkErrorAbortsWithItsStatus) {
  ClientRequest req;
  req.url = Url("/bytes/300000");
  BodySink sink = [](std::string_view) { return Status::IOError("disk full"); };
  req.sink = &sink;
  auto r = client_->Send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "disk full");
}

TEST_F(HttpClientTest, SinkOnlyOnSuccessKeepsErrorBodiesOut) {
  std::string collected;
  BodySink sink = [&](std::string_view d) {
    collected.append(d);
    return Status::OK();
  };
  ClientRequest req;
  req.method = "PUT";
  req.url = Url("/missing");
  req.body = "<Error>no</Error>";
  req.sink = &sink;
  req.sink_only_on_success = true;
  auto r = client_->Send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "<Error>no</Error>");
  EXPECT_TRUE(collected.empty());
  ClientRequest ok;
  ok.url = Url("/bytes/10");
  ok.sink = &sink;
  ok.sink_only_on_success = true;
  r = client_->Send(ok);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(collected, "abcdefghij");
  EXPECT_TRUE(r->body.empty());
}

TEST_F(HttpClientTest, ManyThreadsShareConnections) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        ClientRequest req;
        req.url = Url("/bytes/1000");
        auto r = client_->Send(req);
        if (r.ok() && r->status == 200 && r->body.size() == 1000) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 400);
  // 400 requests from 8 threads at once: a connection each at most, reused, not one each.
  std::lock_guard lock(peers_mu_);
  EXPECT_FALSE(peers_.contains("")) << "the server knows every request's peer";
  EXPECT_LE(peers_.size(), 8u);
}

}  // namespace
}  // namespace ferry::http

namespace ferry::http {
namespace {

TEST_F(HttpClientTest, RateLimiterThrottlesBodies) {
  ManualClock clock(0);
  int64_t slept = 0;
  RateLimiter limiter(1'000'000, clock, [&](int64_t ns) {
    slept += ns;
    clock.Advance(ns);
  });
  ClientOptions options;
  options.rate_limiter = &limiter;
  auto client = HttpClient::Create(options);
  ASSERT_TRUE(client.ok());
  ClientRequest req;
  req.url = Url("/bytes/3000000");
  auto r = (*client)->Send(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body.size(), 3000000u);
  EXPECT_NEAR(static_cast<double>(slept) / 1e9, 2.9, 0.1);
}

}  // namespace
}  // namespace ferry::http
