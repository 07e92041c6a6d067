#include "server/server_metrics.h"

#include "core/prometheus_text.h"

namespace ferry::server {

void ServerMeasures::Finished(std::string_view method, int http_status, uint64_t body_bytes,
                              int64_t elapsed_ns) {
  size_t m = kMethods.size() - 1;
  for (size_t i = 0; i + 1 < kMethods.size(); ++i) {
    if (method == kMethods[i]) m = i;
  }
  requests_[m]++;
  outcomes_[http_status >= 500 ? 2 : http_status >= 400 ? 1 : 0]++;
  bytes_received_ += body_bytes;
  elapsed_ns_ += static_cast<uint64_t>(elapsed_ns > 0 ? elapsed_ns : 0);
  finished_++;
  in_flight_--;
}

std::string ServerMeasures::Render() const {
  std::vector<std::pair<std::string, double>> by_method, by_outcome;
  for (size_t i = 0; i < kMethods.size(); ++i) {
    by_method.emplace_back("method=\"" + std::string(kMethods[i]) + "\"",
                           static_cast<double>(requests_[i].load()));
  }
  const char* classes[] = {"ok", "client_error", "server_error"};
  for (size_t i = 0; i < outcomes_.size(); ++i) {
    by_outcome.emplace_back(std::string("outcome=\"") + classes[i] + "\"",
                            static_cast<double>(outcomes_[i].load()));
  }
  std::string out;
  out += PrometheusSamples("ferry_server_requests_total", "counter", "S3 requests answered",
                           by_method);
  out += PrometheusSamples("ferry_server_responses_total", "counter",
                           "S3 requests answered, by outcome (HTTP 2xx-3xx, 4xx, 5xx)", by_outcome);
  out += PrometheusSample("ferry_server_rejected_requests_total", "counter",
                          "Requests refused before they were parsed (too large, too slow)",
                          static_cast<double>(rejected_.load()));
  out += PrometheusSample("ferry_server_bytes_received_total", "counter",
                          "Request body bytes received", static_cast<double>(bytes_received_));
  out += PrometheusSample("ferry_server_requests_in_flight", "gauge", "Requests being answered",
                          static_cast<double>(in_flight_.load()));
  out += PrometheusSummary("ferry_server_request_seconds", "Time from a request's start to its end",
                           static_cast<double>(elapsed_ns_.load()) / 1e9, finished_.load());
  return out;
}

}  // namespace ferry::server
