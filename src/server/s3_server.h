// S3Server: `ferry serve`'s S3 REST front end. Routes each HTTP request (path-style or
// virtual-hosted-style) to an S3 operation on an ObjectStore, after SigV4 authentication.
//
// The store must outlive the server. Thread-safe: requests are served concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "ferry/object_store.h"
#include "http/server.h"
#include "s3/restore.h"
#include "s3/sigv4.h"
#include "server/event_log.h"

namespace ferry::server {

class AccessRecorder;
class UserDirectory;

struct S3ServerOptions {
  http::ServerOptions http;
  std::string region = "us-east-1";
  // Accepted access keys. With users set, the keys are the users' instead, and each bucket is
  // its owner's (access_control.h). Unsigned requests may do what AllUsers is granted.
  std::vector<s3::Credentials> credentials;
  const UserDirectory* users = nullptr;
  // Grant AllUsers READ on every bucket and object (access_control.h). Default: off.
  bool allow_anonymous = false;
  // Accept Signature Version 2 (headers, presigned URLs, POST forms). Default: on.
  bool allow_sigv2 = true;
  // Host names under which "BUCKET.<domain>" selects a bucket (virtual-hosted style).
  std::vector<std::string> domains = {"localhost"};
  const Clock* clock = &SystemClock();
  // The archive tier: how long restores take, and the length of a day (Days of a restore;
  // shorter in tests and demos).
  s3::RestoreTimes restore_times;
  int64_t day_ns = int64_t{86400} * 1'000'000'000;
  EventLog* events = nullptr;  // restores asked for; may be null
  // Reads of INTELLIGENT_TIERING versions are noted here (their idle time decides when
  // they are archived); may be null.
  AccessRecorder* accesses = nullptr;
};

class S3Server {
 public:
  static Result<std::unique_ptr<S3Server>> Start(const S3ServerOptions& options,
                                                 ObjectStore& store);
  virtual ~S3Server() = default;
  virtual uint16_t port() const = 0;
  virtual void Stop() = 0;
  // The server's measures in Prometheus' text format (server_metrics.h).
  virtual std::string MetricsText() const = 0;
};

}  // namespace ferry::server
