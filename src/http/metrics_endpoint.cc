#include "http/metrics_endpoint.h"

#include <cmath>
#include <cstdio>

namespace ferry::http {

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(const std::string& host,
                                                                uint16_t port, Renderer render) {
  ServerOptions options;
  options.host = host;
  options.port = port;
  options.max_connections = 16;
  auto handler = [render = std::move(render)](const Request& req, BodyReader&,
                                              ResponseWriter& out) {
    Headers headers;
    if (req.method != "GET" || req.path != "/metrics") {
      headers.Set("Content-Type", "text/plain");
      (void)out.Respond(404, headers, "only GET /metrics here\n");
      return;
    }
    headers.Set("Content-Type", "text/plain; version=0.0.4");
    (void)out.Respond(200, headers, render());
  };
  auto reject = [](int status, std::string_view reason, ResponseWriter& out) {
    Headers headers;
    headers.Set("Content-Type", "text/plain");
    (void)out.Respond(status, headers, std::string(reason) + "\n");
  };
  FERRY_ASSIGN_OR_RETURN(auto server, Server::Start(options, handler, reject));
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(server)));
}

MetricsEndpoint::~MetricsEndpoint() {
  server_->Stop();
}

std::string PrometheusSample(const std::string& name, const std::string& type,
                             const std::string& help, double value) {
  char number[64];
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(number, sizeof number, "%.0f", value);
  } else {
    std::snprintf(number, sizeof number, "%.6g", value);
  }
  return "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
         number + "\n";
}

}  // namespace ferry::http
