// A Prometheus scrape endpoint: GET /metrics answers the text the renderer returns (text
// exposition format 0.0.4, core/prometheus_text.h); anything else is 404. For `ferry gateway`,
// `ferry serve` and `ferry mount --metrics HOST:PORT`. Stops with its owner.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "http/server.h"

namespace ferry::http {

class MetricsEndpoint {
 public:
  using Renderer = std::function<std::string()>;
  // port 0 picks a free one (port()).
  static Result<std::unique_ptr<MetricsEndpoint>> Start(const std::string& host, uint16_t port,
                                                        Renderer render);
  ~MetricsEndpoint();
  uint16_t port() const { return server_->port(); }

 private:
  explicit MetricsEndpoint(std::unique_ptr<Server> server) : server_(std::move(server)) {}
  std::unique_ptr<Server> server_;
};

}  // namespace ferry::http
