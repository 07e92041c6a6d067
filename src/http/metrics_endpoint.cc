#include "http/metrics_endpoint.h"

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

}  // namespace ferry::http
