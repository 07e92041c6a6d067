#include "gateway/gateway_control.h"

namespace ferry::gateway {
namespace {

int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

nlohmann::json Failure(const std::string& message) {
  return {{"error", message}};
}

}  // namespace

nlohmann::json AnswerControlRequest(Gateway& gateway, EventLog* events,
                                    const nlohmann::json& request) {
  if (!request.is_object() || !request.contains("op") || !request["op"].is_string()) {
    return Failure("a request names its op");
  }
  const std::string op = request["op"].get<std::string>();
  if (op == "status") {
    const GatewayStatus s = gateway.Stats();
    return {{"dirty_files", s.dirty_files},
            {"dirty_bytes", s.dirty_bytes},
            {"uploading", s.uploading},
            {"failing", s.failing},
            {"pending_operations", s.pending_operations},
            {"uploaded_files", s.uploaded_files},
            {"uploaded_bytes", s.uploaded_bytes},
            {"conflicts", s.conflicts}};
  }
  if (op == "report") {
    const std::string state = request.value("state", std::string("dirty"));
    Gateway::ReportFilter filter;
    if (state == "dirty")
      filter = Gateway::ReportFilter::kDirty;
    else if (state == "failed")
      filter = Gateway::ReportFilter::kFailing;
    else if (state == "all")
      filter = Gateway::ReportFilter::kAll;
    else
      return Failure("report --state is one of dirty, failed, all");
    nlohmann::json files = nlohmann::json::array();
    for (const FileReport& r : gateway.Report(filter)) {
      files.push_back({{"path", r.path},
                       {"size", r.size},
                       {"state", r.state},
                       {"dirty_bytes", r.dirty_bytes},
                       {"failures", r.failures},
                       {"error", r.error}});
    }
    return {{"files", files}};
  }
  if (op == "refresh") {
    std::vector<std::string> paths = {""};
    if (request.contains("paths") && request["paths"].is_array() && !request["paths"].empty()) {
      paths.clear();
      for (const auto& p : request["paths"]) {
        if (!p.is_string()) return Failure("refresh paths are strings");
        paths.push_back(p.get<std::string>());
      }
    }
    const bool recursive = request.value("recursive", false);
    const std::string id = NewNotificationId();
    const int64_t started = NowNs();
    uint64_t changed = 0;
    std::vector<std::string> folders;
    for (const std::string& path : paths) {
      auto n = gateway.Refresh(path, recursive);
      if (!n.ok()) return Failure(n.status().ToString());
      changed += *n;
      folders.push_back("/" + path);
    }
    if (events) events->WriteRefresh(id, started, NowNs(), folders);
    return {{"notification_id", id}, {"changed", changed}};
  }
  if (op == "notify-when-uploaded") return {{"notification_id", gateway.NotifyWhenUploaded()}};
  return Failure("unknown op '" + op + "'");
}

}  // namespace ferry::gateway
