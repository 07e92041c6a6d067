// What `ferry serve --metrics HOST:PORT` counts: requests by method and outcome, request body
// bytes received, time spent answering and requests under way. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace ferry::server {

class ServerMeasures {
 public:
  void Started() { in_flight_++; }
  // A request answered with http_status after elapsed_ns, having read body_bytes.
  void Finished(std::string_view method, int http_status, uint64_t body_bytes, int64_t elapsed_ns);
  // A request the HTTP layer refused before it was parsed (too large, too slow, overloaded).
  void Rejected() { rejected_++; }

  std::string Render() const;

 private:
  static constexpr std::array<std::string_view, 6> kMethods = {"GET",  "PUT",    "HEAD",
                                                               "POST", "DELETE", "other"};
  std::array<std::atomic<uint64_t>, kMethods.size()> requests_{};
  std::array<std::atomic<uint64_t>, 3> outcomes_{};  // 2xx-3xx, 4xx, 5xx
  std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> bytes_received_{0};
  std::atomic<uint64_t> elapsed_ns_{0};
  std::atomic<uint64_t> finished_{0};
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace ferry::server
