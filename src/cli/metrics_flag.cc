#include "cli/metrics_flag.h"

#include <charconv>

namespace ferry::cli {

Result<std::pair<std::string, int>> ParseHostPort(const std::string& text) {
  const size_t colon = text.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      std::from_chars(text.data() + colon + 1, text.data() + text.size(), port).ec != std::errc() ||
      port <= 0 || port > 65535) {
    return Status::InvalidArgument("'" + text + "' is not HOST:PORT (such as 127.0.0.1:2049)");
  }
  return std::make_pair(text.substr(0, colon), port);
}

Result<std::unique_ptr<http::MetricsEndpoint>> StartMetrics(
    const std::string& where, http::MetricsEndpoint::Renderer render) {
  if (where.empty()) return std::unique_ptr<http::MetricsEndpoint>();
  FERRY_ASSIGN_OR_RETURN(auto host_port, ParseHostPort(where));
  auto started = http::MetricsEndpoint::Start(
      host_port.first, static_cast<uint16_t>(host_port.second), std::move(render));
  if (!started.ok()) return started.status().Annotate("--metrics " + where);
  return started;
}

}  // namespace ferry::cli
