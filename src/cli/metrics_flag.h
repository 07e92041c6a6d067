// --metrics HOST:PORT, shared by `ferry serve`, `ferry mount` and `ferry gateway`: a
// Prometheus endpoint at http://HOST:PORT/metrics for as long as the command runs.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "ferry/result.h"
#include "http/metrics_endpoint.h"

namespace ferry::cli {

// "HOST:PORT" (InvalidArgument naming the expected form otherwise).
Result<std::pair<std::string, int>> ParseHostPort(const std::string& text);

// The endpoint at where, answering render(); null when where is empty.
Result<std::unique_ptr<http::MetricsEndpoint>> StartMetrics(const std::string& where,
                                                            http::MetricsEndpoint::Renderer render);

}  // namespace ferry::cli
