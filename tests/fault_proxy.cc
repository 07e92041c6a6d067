#include "fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>

namespace ferry::testing {
namespace {

struct Head {
  std::string raw;                            // as received, including the final CRLFCRLF
  std::string first;                          // request or status line
  std::map<std::string, std::string> fields;  // lower-case names
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads more bytes into buf; false at EOF or error.
bool ReadMore(int fd, std::string& buf) {
  char tmp[65536];
  for (;;) {
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
    return true;
  }
}

// Takes one head off the front of buf, reading as needed.
bool ReadHead(int fd, std::string& buf, Head* head) {
  size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (!ReadMore(fd, buf)) return false;
  }
  head->raw = buf.substr(0, end + 4);
  buf.erase(0, end + 4);
  head->fields.clear();
  size_t line_end = head->raw.find("\r\n");
  head->first = head->raw.substr(0, line_end);
  size_t pos = line_end + 2;
  while (pos < head->raw.size()) {
    size_t eol = head->raw.find("\r\n", pos);
    if (eol == pos || eol == std::string::npos) break;
    std::string line = head->raw.substr(pos, eol - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      head->fields[Lower(line.substr(0, colon))] = value;
    }
    pos = eol + 2;
  }
  return true;
}

// Moves `length` body bytes from (buf, from_fd) to to_fd (or discards them when to_fd < 0),
// stopping after `limit` bytes and flipping the byte at flip_at (if any). Returns the bytes
// moved, or -1 on a broken connection.
int64_t Pump(int from_fd, std::string& buf, int to_fd, uint64_t length, uint64_t limit,
             uint64_t flip_at = UINT64_MAX) {
  uint64_t moved = 0;
  uint64_t want = std::min(length, limit);
  while (moved < want) {
    if (buf.empty() && !ReadMore(from_fd, buf)) return -1;
    size_t k = static_cast<size_t>(std::min<uint64_t>(buf.size(), want - moved));
    if (flip_at >= moved && flip_at < moved + k) buf[flip_at - moved] ^= 0x01;
    if (to_fd >= 0 && !WriteAll(to_fd, std::string_view(buf).substr(0, k))) return -1;
    buf.erase(0, k);
    moved += k;
  }
  return static_cast<int64_t>(moved);
}

uint64_t ContentLength(const Head& h) {
  auto it = h.fields.find("content-length");
  return it == h.fields.end() ? 0 : std::stoull(it->second);
}

std::string Canned(int status, const char* reason, const std::string& code) {
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code +
                     "</Code><Message>injected by FaultProxy</Message><RequestId>FAULT</RequestId>"
                     "</Error>";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/xml\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

int Connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

Result<std::unique_ptr<FaultProxy>> FaultProxy::Start(uint16_t upstream_port) {
  std::unique_ptr<FaultProxy> p(new FaultProxy());
  p->upstream_port_ = upstream_port;
  p->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(p->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(p->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(p->listen_fd_, 64) != 0) {
    return Status::FromErrno("fault proxy listen", errno);
  }
  socklen_t len = sizeof addr;
  ::getsockname(p->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  p->port_ = ntohs(addr.sin_port);
  p->acceptor_ = std::thread([raw = p.get()] { raw->AcceptLoop(); });
  return p;
}

FaultProxy::~FaultProxy() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(connections_);
  }
  for (auto& t : threads) t.join();
  ::close(listen_fd_);
}

void FaultProxy::Add(const FaultRule& rule) {
  std::lock_guard lock(mu_);
  rules_.push_back(rule);
}

bool FaultProxy::Take(const std::string& method, const std::string& target, FaultRule* out) {
  std::lock_guard lock(mu_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (!it->method.empty() && it->method != method) continue;
    if (target.find(it->target_contains) == std::string::npos) continue;
    *out = *it;
    if (--it->times <= 0) rules_.erase(it);
    injected_.fetch_add(1);
    return true;
  }
  return false;
}

void FaultProxy::Track(int fd) {
  std::lock_guard lock(mu_);
  open_fds_.insert(fd);
  if (stopping_) ::shutdown(fd, SHUT_RDWR);
}

void FaultProxy::Untrack(int fd) {
  std::lock_guard lock(mu_);
  open_fds_.erase(fd);
}

void FaultProxy::AcceptLoop() {
  while (!stopping_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Track(fd);
    std::lock_guard lock(mu_);
    connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FaultProxy::Serve(int client) {
  int upstream = -1;
  std::string from_client, from_upstream;
  for (;;) {
    Head req;
    if (!ReadHead(client, from_client, &req)) break;
    auto space = req.first.find(' ');
    std::string method = req.first.substr(0, space);
    std::string target = req.first.substr(space + 1, req.first.rfind(' ') - space - 1);
    uint64_t req_body = ContentLength(req);
    FaultRule rule;
    bool faulty = Take(method, target, &rule);
    if (faulty && rule.fault == Fault::kReset) break;
    if (faulty && (rule.fault == Fault::kSlowDown || rule.fault == Fault::kInternalError ||
                   rule.fault == Fault::kErrorIn200)) {
      if (Pump(client, from_client, -1, req_body, req_body) < 0) break;
      std::string answer = rule.fault == Fault::kSlowDown ? Canned(503, "Slow Down", "SlowDown")
                           : rule.fault == Fault::kInternalError
                               ? Canned(500, "Internal Server Error", "InternalError")
                               : Canned(200, "OK", "InternalError");
      if (method == "HEAD") answer.erase(answer.find("\r\n\r\n") + 4);  // no body
      if (!WriteAll(client, answer)) break;
      continue;
    }
    if (upstream < 0) {
      upstream = Connect(upstream_port_);
      if (upstream < 0) break;
      Track(upstream);
    }
    if (!WriteAll(upstream, req.raw)) break;
    uint64_t flip_request =
        faulty && rule.fault == Fault::kCorruptRequest ? rule.after_bytes : UINT64_MAX;
    if (Pump(client, from_client, upstream, req_body, req_body, flip_request) < 0) break;
    Head resp;
    if (!ReadHead(upstream, from_upstream, &resp)) break;
    int status = std::atoi(resp.first.c_str() + resp.first.find(' ') + 1);
    bool has_length = resp.fields.count("content-length") > 0;
    bool no_body = method == "HEAD" || status == 204 || status == 304 || status / 100 == 1;
    uint64_t body = no_body ? 0 : has_length ? ContentLength(resp) : UINT64_MAX;
    if (!WriteAll(client, resp.raw)) break;
    if (faulty && (rule.fault == Fault::kCutBody || rule.fault == Fault::kStall)) {
      Pump(upstream, from_upstream, client, body, rule.after_bytes);
      if (rule.fault == Fault::kStall) {
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(rule.stall_ms);
        while (!stopping_ && std::chrono::steady_clock::now() < until) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
      break;  // the connection dies with the body unfinished
    }
    uint64_t flip_answer =
        faulty && rule.fault == Fault::kCorruptBody ? rule.after_bytes : UINT64_MAX;
    if (Pump(upstream, from_upstream, client, body, body, flip_answer) < 0 && has_length) break;
    if (!has_length && !no_body) break;
    if (Lower(resp.fields["connection"]) == "close") break;
  }
  if (upstream >= 0) {
    Untrack(upstream);
    ::close(upstream);
  }
  Untrack(client);
  ::close(client);
}

}  // namespace ferry::testing
