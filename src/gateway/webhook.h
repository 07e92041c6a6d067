// Posts the gateway's notifications to a webhook URL (`--webhook`), one JSON document per
// POST, in order, from a thread of its own: a slow or failing receiver never holds up the
// file system. A failed POST (no answer, or not 2xx) is retried with backoff (1 s doubling to
// 30 s) until it goes through; at most max_queued events wait, and when more come the oldest
// are dropped and counted in the log. On destruction what is queued gets a few seconds to go.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "ferry/result.h"
#include "http/client.h"

namespace ferry::gateway {

class Webhook {
 public:
  // url: http:// or https:// (InvalidArgument otherwise).
  static Result<std::unique_ptr<Webhook>> Start(const std::string& url, size_t max_queued = 10000);
  ~Webhook();
  Webhook(const Webhook&) = delete;
  Webhook& operator=(const Webhook&) = delete;

  void Post(std::string json);

  uint64_t delivered() const;
  uint64_t dropped() const;

 private:
  Webhook(std::string url, std::unique_ptr<http::HttpClient> client, size_t max_queued);
  void Run();
  // One POST; OK for a 2xx answer.
  Status Send(const std::string& json);

  const std::string url_;
  const std::unique_ptr<http::HttpClient> client_;
  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<uint64_t, std::string>> queue_;  // numbered, guarded by mu_
  uint64_t next_number_ = 0;                            // guarded by mu_
  bool stopping_ = false;                               // guarded by mu_
  std::chrono::steady_clock::time_point stop_by_;       // guarded by mu_
  uint64_t delivered_ = 0;                              // guarded by mu_
  uint64_t dropped_ = 0;                                // guarded by mu_
  std::thread sender_;                                  // last: it uses the members above
};

}  // namespace ferry::gateway
