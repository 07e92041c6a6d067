// One S3 request after routing and authentication: which bucket and key it names, its query,
// and how its body is signed. Built by the handler, read by the operations.
#pragma once

#include <optional>
#include <string>

#include "http/server.h"
#include "s3/sigv4_verifier.h"
#include "s3/uri.h"

namespace ferry::server {

struct S3Request {
  const http::Request* http = nullptr;
  s3::QueryParams query;
  std::string bucket;           // empty: service-level request (ListBuckets)
  std::string key;              // decoded; empty: bucket-level request
  bool virtual_hosted = false;  // the bucket came from the Host header
  std::string request_id;
  std::optional<s3::AuthContext> auth;  // absent for anonymous requests
  std::string user_id;  // who signed the request (server/users.h); empty when anonymous
  http::Headers cors;   // Access-Control-* headers the request's Origin earned (BaseHeaders)

  bool HasParam(std::string_view name) const { return s3::FindQueryParam(query, name).has_value(); }
  std::string Param(std::string_view name) const {
    auto v = s3::FindQueryParam(query, name);
    return v ? std::string(*v) : std::string();
  }
  std::optional<std::string_view> Header(std::string_view name) const {
    return http->headers.Get(name);
  }
  std::string HeaderOr(std::string_view name, std::string_view fallback = {}) const {
    return http->headers.GetOr(name, fallback);
  }
};

}  // namespace ferry::server
