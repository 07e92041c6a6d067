// ferry_fault_proxy: the FaultProxy as a process, for tests that drive command-line tools
// through injected faults.
//
//   ferry_fault_proxy --upstream PORT --port-file FILE [--rule SPEC]...
//   SPEC = FAULT[:METHOD[:TARGET_SUBSTRING[:AFTER_BYTES[:TIMES[:STALL_MS]]]]]
//   FAULT = cut | stall | slowdown | internal | error200 | reset | corrupt | corrupt-request
//
// Writes the listening port to FILE, then serves until SIGTERM/SIGINT, and prints the number
// of injected faults to stdout when it stops.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fault_proxy.h"

namespace {

using ferry::testing::Fault;
using ferry::testing::FaultRule;

bool ParseRule(const std::string& spec, FaultRule* rule) {
  static const std::map<std::string, Fault> kFaults = {
      {"cut", Fault::kCutBody},         {"stall", Fault::kStall},
      {"slowdown", Fault::kSlowDown},   {"internal", Fault::kInternalError},
      {"error200", Fault::kErrorIn200}, {"reset", Fault::kReset},
      {"corrupt", Fault::kCorruptBody}, {"corrupt-request", Fault::kCorruptRequest}};
  std::vector<std::string> parts;
  std::stringstream in(spec);
  std::string part;
  while (std::getline(in, part, ':')) parts.push_back(part);
  if (parts.empty() || !kFaults.count(parts[0])) return false;
  rule->fault = kFaults.at(parts[0]);
  if (parts.size() > 1) rule->method = parts[1];
  if (parts.size() > 2) rule->target_contains = parts[2];
  if (parts.size() > 3 && !parts[3].empty()) rule->after_bytes = std::stoull(parts[3]);
  if (parts.size() > 4 && !parts[4].empty()) rule->times = std::stoi(parts[4]);
  if (parts.size() > 5 && !parts[5].empty()) rule->stall_ms = std::stoi(parts[5]);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int upstream = 0;
  std::string port_file;
  std::vector<FaultRule> rules;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--upstream") {
      upstream = std::atoi(value.c_str());
    } else if (flag == "--port-file") {
      port_file = value;
    } else if (flag == "--rule") {
      FaultRule rule;
      if (!ParseRule(value, &rule)) {
        std::fprintf(stderr, "bad --rule %s\n", value.c_str());
        return 2;
      }
      rules.push_back(rule);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (upstream <= 0 || port_file.empty()) {
    std::fprintf(stderr,
                 "usage: ferry_fault_proxy --upstream PORT --port-file FILE [--rule SPEC]...\n");
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  auto proxy = ferry::testing::FaultProxy::Start(static_cast<uint16_t>(upstream));
  if (!proxy.ok()) {
    std::fprintf(stderr, "%s\n", proxy.status().ToString().c_str());
    return 1;
  }
  for (const auto& rule : rules) (*proxy)->Add(rule);
  {
    std::ofstream out(port_file + ".tmp");
    out << (*proxy)->port() << "\n";
  }
  std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  int sig = 0;
  sigwait(&signals, &sig);
  std::printf("%d\n", (*proxy)->injected());
  return 0;
}
