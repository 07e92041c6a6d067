#include "cli/output.h"

#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "s3/http_date.h"
#include "s3/restore.h"
#include "transfer/progress.h"

namespace ferry::cli {

std::string Counted(uint64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string Describe(const Status& status) {
  // Statuses from an S3 store already read "Operation s3://b/k: 404 NoSuchKey: message".
  if (!status.s3_code().empty() && status.message().find(status.s3_code()) != std::string::npos) {
    return status.message();
  }
  std::string out;
  if (status.http_status() > 0) out += std::to_string(status.http_status()) + " ";
  if (!status.s3_code().empty()) {
    out += status.s3_code() + ": ";
  } else if (status.http_status() == 0) {
    out += std::string(CodeName(status.code())) + ": ";
  }
  out += status.message();
  return out;
}

int Fail(std::string_view command, const Status& status, bool usage) {
  // A usage error is the user's to fix: its message alone, without a code name.
  const std::string text = usage && status.http_status() == 0 ? status.message() : Describe(status);
  std::fprintf(stderr, "ferry %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               text.c_str());
  return usage ? kExitUsage : kExitFailed;
}

bool StderrIsTerminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

int ReportTransfer(std::string_view command, const transfer::TransferSummary& s, uint64_t retries,
                   bool json, bool quiet, bool interrupted) {
  for (const auto& e : s.errors) {
    std::string text = Describe(e.status);
    if (!e.what.empty() && text.find(e.what) == std::string::npos) text = e.what + ": " + text;
    std::fprintf(stderr, "ferry %.*s: %s\n", static_cast<int>(command.size()), command.data(),
                 text.c_str());
  }
  double rate = s.seconds > 0 ? static_cast<double>(s.bytes) / s.seconds : 0;
  if (json) {
    nlohmann::json j{{"objects", s.objects},       {"bytes", s.bytes},
                     {"failed", s.failed},         {"retries", retries},
                     {"seconds", s.seconds},       {"bytes_per_second", rate},
                     {"interrupted", interrupted}, {"not_done", s.interrupted}};
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& e : s.errors)
      errors.push_back({{"what", e.what}, {"error", Describe(e.status)}});
    j["errors"] = errors;
    std::printf("%s\n", j.dump().c_str());
  } else if (!quiet) {
    std::fprintf(
        stderr, "%s%s, %s in %s (%s/s), %s, %llu failed%s\n", interrupted ? "interrupted: " : "",
        Counted(s.objects, "object", "objects").c_str(), transfer::FormatBytes(s.bytes).c_str(),
        transfer::FormatDuration(s.seconds).c_str(),
        transfer::FormatBytes(static_cast<uint64_t>(rate)).c_str(),
        Counted(retries, "retry", "retries").c_str(), static_cast<unsigned long long>(s.failed),
        s.interrupted > 0 ? (", " + std::to_string(s.interrupted) + " not done").c_str() : "");
  }
  return s.failed == 0 ? kExitOk : kExitFailed;
}

nlohmann::json RestoreJson(const ObjectHeaders& h) {
  switch (s3::RestorePhaseAt(h, SystemClock().NowNanos())) {
    case s3::RestorePhase::kNone:
      return nullptr;
    case s3::RestorePhase::kOngoing:
      return {{"ongoing", true}};
    case s3::RestorePhase::kRestored:
      return {{"ongoing", false}, {"expiry", s3::FormatIso8601(h.restore_expiry_ns)}};
  }
  return nullptr;
}

}  // namespace ferry::cli
