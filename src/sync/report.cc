#include "sync/report.h"

#include <cstdio>
#include <filesystem>

namespace ferry::sync {

TaskReport::TaskReport(std::string path) : path_(std::move(path)) {
  if (!path_.empty()) scratch_.open(path_ + ".entries", std::ios::trunc);
}

TaskReport::~TaskReport() {
  if (scratch_.is_open()) {
    scratch_.close();
    std::remove((path_ + ".entries").c_str());
  }
}

void TaskReport::Record(const std::string& path, const char* status, const std::string& detail,
                        uint64_t bytes) {
  if (path_.empty()) return;
  nlohmann::json j = {{"path", path}, {"status", status}};
  if (!detail.empty()) j["detail"] = detail;
  if (bytes > 0) j["bytes"] = bytes;
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(mu_);
  scratch_ << line << '\n';
}

Status TaskReport::Finish(const nlohmann::json& summary) {
  if (path_.empty()) return Status::OK();
  std::lock_guard lock(mu_);
  scratch_.close();
  std::ifstream in(path_ + ".entries");
  std::string temp = path_ + ".tmp";
  std::ofstream out(temp, std::ios::trunc);
  if (!out) return Status::FromErrno(path_, errno);
  std::string head = summary.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  out << "{\n\"summary\": " << head << ",\n\"entries\": [";
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    out << (first ? "\n  " : ",\n  ") << line;
    first = false;
  }
  out << "\n]}\n";
  out.close();
  std::remove((path_ + ".entries").c_str());
  if (!out) return Status::IOError(path_ + ": write failed");
  if (std::rename(temp.c_str(), path_.c_str()) != 0) return Status::FromErrno(path_, errno);
  return Status::OK();
}

}  // namespace ferry::sync
