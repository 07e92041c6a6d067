#include "server/event_log.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "s3/http_date.h"

namespace ferry::server {

Result<std::unique_ptr<EventLog>> EventLog::Open(const std::string& path) {
  std::FILE* file = nullptr;
  if (!path.empty()) {
    file = std::fopen(path.c_str(), "ae");
    if (!file) return Status::IOError(path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<EventLog>(new EventLog(file));
}

EventLog::~EventLog() {
  if (file_) std::fclose(file_);
}

void EventLog::Record(const ArchiveEvent& e) {
  nlohmann::json line = {{"eventTime", s3::FormatIso8601(e.time_ns)},
                         {"eventName", e.name},
                         {"bucket", e.bucket},
                         {"key", e.key}};
  if (!e.version_id.empty()) line["versionId"] = e.version_id;
  if (!e.storage_class.empty()) line["storageClass"] = e.storage_class;
  if (!e.tier.empty()) line["tier"] = e.tier;
  if (!e.rule_id.empty()) line["rule"] = e.rule_id;
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  spdlog::info("event {}", text);
  if (!file_) return;
  std::lock_guard lock(mu_);
  text += '\n';
  // One write per line, flushed at once: a reader tailing the file sees whole events.
  std::fwrite(text.data(), 1, text.size(), file_);
  std::fflush(file_);
}

}  // namespace ferry::server
