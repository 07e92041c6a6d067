#include "gateway/event_log.h"

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <random>

namespace ferry::gateway {

std::string Iso8601(int64_t ns) {
  const time_t t = static_cast<time_t>(ns / 1'000'000'000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string NewNotificationId() {
  std::random_device random;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%08x%04x", random(), random() & 0xffff,
                random() & 0xffff, random() & 0xffff, random(), random() & 0xffff);
  return buf;
}

namespace {
int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

Result<std::unique_ptr<EventLog>> EventLog::Open(const std::string& path,
                                                 const std::string& webhook_url, std::string bucket,
                                                 std::string prefix) {
  std::unique_ptr<Webhook> webhook;
  if (!webhook_url.empty()) {
    FERRY_ASSIGN_OR_RETURN(webhook, Webhook::Start(webhook_url));
  }
  FILE* f = nullptr;
  if (!path.empty()) {
    f = std::fopen(path.c_str(), "ae");
    if (!f) return Status::FromErrno("events file " + path, errno);
  }
  return std::unique_ptr<EventLog>(
      new EventLog(f, std::move(webhook), std::move(bucket), std::move(prefix)));
}

EventLog::~EventLog() {
  if (file_) std::fclose(file_);
}

nlohmann::json EventLog::Format(const GatewayEvent& e) const {
  nlohmann::json line = {{"version", "0"}, {"source", "ferry.gateway"}, {"time", Iso8601(NowNs())}};
  switch (e.kind) {
    case GatewayEvent::Kind::kUploaded:
      line["detail-type"] = "Storage Gateway Object Upload Event";
      line["detail"] = {{"object-size", e.size}, {"modification-time", Iso8601(e.mtime_ns)},
                        {"object-key", e.key},   {"event-type", "object-upload-complete"},
                        {"prefix", prefix_},     {"bucket-name", bucket_}};
      break;
    case GatewayEvent::Kind::kConflict:
      line["detail-type"] = "Storage Gateway Object Conflict Event";
      line["detail"] = {{"object-key", e.key},   {"conflict-key", e.conflict_key},
                        {"object-size", e.size}, {"event-type", "object-conflict"},
                        {"prefix", prefix_},     {"bucket-name", bucket_}};
      break;
    case GatewayEvent::Kind::kFailing:
      line["detail-type"] = "Storage Gateway Health Notification";
      line["detail"] = {{"object-key", e.key},
                        {"event-type", "upload-failing"},
                        {"error", e.error},
                        {"bucket-name", bucket_}};
      break;
    case GatewayEvent::Kind::kWorkingSetUploaded:
      line["detail-type"] = "Storage Gateway File Upload Event";
      line["detail"] = {{"event-type", "upload-complete"},
                        {"notification-id", e.notification_id},
                        {"request-received", Iso8601(e.requested_ns)},
                        {"completed", Iso8601(e.completed_ns)}};
      break;
  }
  return line;
}

void EventLog::Write(const GatewayEvent& event) {
  Append(Format(event));
}

void EventLog::WriteRefresh(const std::string& notification_id, int64_t started_ns,
                            int64_t completed_ns, const std::vector<std::string>& folders) {
  Append({{"version", "0"},
          {"source", "ferry.gateway"},
          {"time", Iso8601(completed_ns)},
          {"detail-type", "Storage Gateway Refresh Cache Event"},
          {"detail",
           {{"event-type", "refresh-complete"},
            {"notification-id", notification_id},
            {"started", Iso8601(started_ns)},
            {"completed", Iso8601(completed_ns)},
            {"folderList", folders}}}});
}

void EventLog::Append(const nlohmann::json& line) {
  std::string text = line.dump();
  if (webhook_) webhook_->Post(text);
  if (!file_) return;
  text += "\n";
  std::lock_guard lock(mu_);
  std::fwrite(text.data(), 1, text.size(), file_);
  std::fflush(file_);
}

}  // namespace ferry::gateway
