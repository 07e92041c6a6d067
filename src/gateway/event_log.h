// The gateway's notifications, shaped as S3 File Gateway's EventBridge events ("detail-type",
// "time", "detail" with its field names): Object Upload Events per file, File Upload Events
// for NotifyWhenUploaded, Refresh Cache Events, and ferry's own conflict and upload-failure
// events. As JSON lines appended and flushed to a file (`--events`), and posted one by one to
// a webhook (`--webhook`, webhook.h). Thread-safe.
#pragma once

#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ferry/result.h"
#include "gateway/gateway.h"
#include "gateway/webhook.h"

namespace ferry::gateway {

class EventLog {
 public:
  // Either path or webhook_url may be empty (not both).
  static Result<std::unique_ptr<EventLog>> Open(const std::string& path,
                                                const std::string& webhook_url, std::string bucket,
                                                std::string prefix);
  ~EventLog();

  void Write(const GatewayEvent& event);
  void WriteRefresh(const std::string& notification_id, int64_t started_ns, int64_t completed_ns,
                    const std::vector<std::string>& folders);

  // The JSON line for an event (for tests and other sinks).
  nlohmann::json Format(const GatewayEvent& event) const;

 private:
  EventLog(FILE* file, std::unique_ptr<Webhook> webhook, std::string bucket, std::string prefix)
      : file_(file),
        webhook_(std::move(webhook)),
        bucket_(std::move(bucket)),
        prefix_(std::move(prefix)) {}
  void Append(const nlohmann::json& line);

  std::mutex mu_;
  FILE* const file_;  // null without --events
  const std::unique_ptr<Webhook> webhook_;
  const std::string bucket_;
  const std::string prefix_;
};

// A notification id as File Gateway gives them (a random UUID).
std::string NewNotificationId();

// "2026-12-07T01:02:03Z".
std::string Iso8601(int64_t ns);

}  // namespace ferry::gateway
