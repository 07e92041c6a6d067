// What the archive tier did: restores asked for and finished, lifecycle transitions and
// expirations. Each event goes to the server log and, when a file is given, as one JSON line
// appended to it (names as in S3's event notifications: ObjectRestore:Post,
// ObjectRestore:Completed, LifecycleTransition, LifecycleExpiration:Delete,
// LifecycleExpiration:DeleteMarkerCreated). Thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "ferry/result.h"

namespace ferry::server {

struct ArchiveEvent {
  std::string name;
  std::string bucket;
  std::string key;
  std::string version_id;
  std::string storage_class;  // the class a transition moved to, or the archived class
  std::string tier;           // of a restore
  std::string rule_id;        // of a lifecycle action
  int64_t time_ns = 0;
};

class EventLog {
 public:
  // path "" logs only.
  static Result<std::unique_ptr<EventLog>> Open(const std::string& path);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  void Record(const ArchiveEvent& event);

 private:
  explicit EventLog(std::FILE* file) : file_(file) {}

  std::mutex mu_;
  std::FILE* file_;  // owned; null when logging only
};

}  // namespace ferry::server
