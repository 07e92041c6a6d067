// FaultProxy: an HTTP/1.1 proxy on 127.0.0.1 for tests, forwarding to one upstream port and
// injecting faults into chosen requests: cut a response body short and drop the connection,
// answer 503 SlowDown (or 500 InternalError, or 200 with an <Error> body) without forwarding,
// stall mid-body, reset the connection before answering, or flip one byte of a request or
// response body.
//
// Requests must carry Content-Length bodies (or none), as S3 clients send them; responses
// without Content-Length are forwarded until the upstream closes. Each rule applies to the
// next `times` requests whose method and target match. Test-only; thread-safe. The proxy owns
// its threads and joins them on destruction.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ferry/result.h"

namespace ferry::testing {

enum class Fault {
  kCutBody,         // forward the answer's head and after_bytes of its body, then close
  kStall,           // forward head and after_bytes, then send nothing for stall_ms, then close
  kSlowDown,        // answer 503 SlowDown
  kInternalError,   // answer 500 InternalError
  kErrorIn200,      // answer 200 OK whose body is an <Error> InternalError document
  kReset,           // close the connection without answering
  kCorruptBody,     // forward the answer with the body byte at after_bytes flipped
  kCorruptRequest,  // forward the request with the body byte at after_bytes flipped
};

struct FaultRule {
  Fault fault = Fault::kCutBody;
  std::string method;           // empty: any
  std::string target_contains;  // substring of the request target; empty: any
  uint64_t after_bytes = 0;
  int stall_ms = 3000;
  int times = 1;
};

class FaultProxy {
 public:
  static Result<std::unique_ptr<FaultProxy>> Start(uint16_t upstream_port);
  ~FaultProxy();

  uint16_t port() const { return port_; }
  void Add(const FaultRule& rule);
  // Faults injected so far.
  int injected() const { return injected_.load(); }

 private:
  FaultProxy() = default;
  void AcceptLoop();
  void Serve(int client_fd);
  // The rule for this request, consumed; nullptr when none matches.
  bool Take(const std::string& method, const std::string& target, FaultRule* out);
  void Track(int fd);
  void Untrack(int fd);

  uint16_t upstream_port_ = 0;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> injected_{0};
  std::mutex mu_;
  std::vector<FaultRule> rules_;  // guarded by mu_
  std::set<int> open_fds_;        // guarded by mu_: shut down on stop to wake blocked threads
  std::vector<std::thread> connections_;  // guarded by mu_
  std::thread acceptor_;
};

}  // namespace ferry::testing
