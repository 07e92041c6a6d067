#include "core/prometheus_text.h"

#include <cmath>
#include <cstdint>
#include <cstdio>

namespace ferry {
namespace {

std::string Number(double value) {
  char out[64];
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(out, sizeof out, "%.0f", value);
  } else {
    std::snprintf(out, sizeof out, "%.6g", value);
  }
  return out;
}

std::string Heading(const std::string& name, const std::string& type, const std::string& help) {
  return "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

std::string PrometheusSample(const std::string& name, const std::string& type,
                             const std::string& help, double value) {
  return Heading(name, type, help) + name + " " + Number(value) + "\n";
}

std::string PrometheusSamples(const std::string& name, const std::string& type,
                              const std::string& help,
                              const std::vector<std::pair<std::string, double>>& samples) {
  std::string out = Heading(name, type, help);
  for (const auto& [labels, value] : samples) {
    out += name + "{" + labels + "} " + Number(value) + "\n";
  }
  return out;
}

std::string PrometheusSummary(const std::string& name, const std::string& help, double sum,
                              uint64_t count) {
  return Heading(name, "summary", help) + name + "_sum " + Number(sum) + "\n" + name + "_count " +
         std::to_string(count) + "\n";
}

}  // namespace ferry
