// S3Handler: turns one HTTP request into one S3 operation: addressing, authentication,
// dispatch by method and sub-resource, and the error answer. Thread-safe.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "ferry/object_store.h"
#include "http/server.h"
#include "s3/sigv4_verifier.h"
#include "s3/xml.h"
#include "server/access_control.h"
#include "server/operations.h"
#include "server/s3_server.h"
#include "server/server_metrics.h"

namespace ferry::server {

class S3Handler {
 public:
  S3Handler(const S3ServerOptions& options, ObjectStore& store);

  void Handle(const http::Request& http, http::BodyReader& body, http::ResponseWriter& out);
  // Answers requests the HTTP layer refused before parsing finished.
  void Reject(int status, std::string_view reason, http::ResponseWriter& out);
  const ServerMeasures& measures() const { return measures_; }

 private:
  // Fills bucket and key from the Host header and the path.
  Status Route(const http::Request& http, S3Request& req) const;
  Status Authenticate(S3Request& req, ErrorExtras& error) const;
  Status Dispatch(OpContext& op) const;
  Status DispatchBucket(OpContext& op) const;
  Status DispatchObject(OpContext& op) const;
  std::string NextRequestId();

  S3ServerOptions options_;
  ObjectStore& store_;
  s3::Verifier verifier_;
  s3::Owner owner_;
  std::atomic<uint64_t> next_request_ = 0;
  uint64_t request_id_base_;
  ServerMeasures measures_;
  std::mutex documents_mu_;  // OpContext::documents_mu
  AccessControl access_;     // reads options_: after it
};

}  // namespace ferry::server
