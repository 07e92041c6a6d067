// Prometheus' text exposition format (0.0.4), as the /metrics endpoints of `ferry serve`,
// `ferry mount` and `ferry gateway` answer it. Pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ferry {

// "# HELP", "# TYPE" and one unlabelled sample.
std::string PrometheusSample(const std::string& name, const std::string& type,
                             const std::string& help, double value);

// "# HELP", "# TYPE" and one sample per label set, e.g. {{"method=\"GET\"", 12}}: the labels
// are written as given, between braces.
std::string PrometheusSamples(const std::string& name, const std::string& type,
                              const std::string& help,
                              const std::vector<std::pair<std::string, double>>& samples);

// A summary's "_sum" and "_count" samples under their HELP and TYPE.
std::string PrometheusSummary(const std::string& name, const std::string& help, double sum,
                              uint64_t count);

}  // namespace ferry
