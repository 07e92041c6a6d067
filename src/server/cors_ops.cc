// A bucket's CORS configuration (Put, Get, Delete), the browser's preflight OPTIONS answered
// from it, and the Access-Control-* headers of the requests it allows (s3/cors.h).
#include "s3/cors.h"
#include "server/operations.h"
#include "server/request_body.h"
#include "server/response.h"

namespace ferry::server {
namespace {

constexpr size_t kMaxCorsBodyBytes = 64 << 10;

Status Forbidden(const std::string& message) {
  return Status::PermissionDenied(message).WithS3Code("AccessForbidden", 403);
}

Status BadRequest(const std::string& message) {
  return Status::InvalidArgument(message).WithS3Code("BadRequest", 400);
}

// The bucket's rules; nullopt when it has none.
Result<std::optional<s3::CorsConfiguration>> Rules(ObjectStore& store, const std::string& bucket) {
  FERRY_ASSIGN_OR_RETURN(auto doc, store.GetBucketConfig(bucket, kCorsConfig));
  if (!doc) return std::optional<s3::CorsConfiguration>();
  FERRY_ASSIGN_OR_RETURN(s3::CorsConfiguration config, s3::ParseCorsConfiguration(*doc));
  return std::optional<s3::CorsConfiguration>(std::move(config));
}

}  // namespace

Status PutBucketCors(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(std::string xml, ReadWholeBody(op.req, op.body, kMaxCorsBodyBytes));
  FERRY_ASSIGN_OR_RETURN(s3::CorsConfiguration config, s3::ParseCorsConfiguration(xml));
  FERRY_RETURN_IF_ERROR(
      op.store.SetBucketConfig(op.req.bucket, kCorsConfig, s3::CorsConfigurationXml(config)));
  return SendEmpty(op.req, 200, op.out, BaseHeaders(op.req));
}

Status GetBucketCors(OpContext& op) {
  return SendBucketDocument(op, kCorsConfig,
                            Status(Status::Code::kNotFound, "The CORS configuration does not exist")
                                .WithS3Code("NoSuchCORSConfiguration", 404));
}

Status DeleteBucketCors(OpContext& op) {
  return DeleteBucketDocument(op, kCorsConfig);
}

Status AnswerPreflight(OpContext& op) {
  const auto origin = op.req.Header("origin");
  if (!origin || origin->empty()) {
    return BadRequest("Insufficient information. Origin request header needed.");
  }
  const auto method = op.req.Header("access-control-request-method");
  if (!method || method->empty()) {
    return BadRequest("Invalid Access-Control-Request-Method: null");
  }
  if (op.req.bucket.empty()) return Forbidden("CORSResponse: Bucket not found");
  FERRY_ASSIGN_OR_RETURN(auto rules, Rules(op.store, op.req.bucket));
  if (!rules) return Forbidden("CORSResponse: CORS is not enabled for this bucket.");
  const std::vector<std::string> headers =
      s3::SplitHeaderList(op.req.HeaderOr("access-control-request-headers"));
  const s3::CorsRule* rule = s3::MatchCorsRule(*rules, *origin, *method, &headers);
  if (!rule) {
    return Forbidden(
        "CORSResponse: This CORS request is not allowed. This is usually because the evalution "
        "of Origin, request method / Access-Control-Request-Method or "
        "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.");
  }
  http::Headers h = BaseHeaders(op.req);
  for (auto& [name, value] : s3::CorsResponseHeaders(*rule, *origin, &headers)) {
    h.Add(name, value);
  }
  return SendEmpty(op.req, 200, op.out, std::move(h));
}

void AddCorsHeaders(ObjectStore& store, S3Request& req) {
  const auto origin = req.Header("origin");
  if (!origin || origin->empty() || req.bucket.empty()) return;
  // A bucket that does not exist or has no rules: the request goes on without them.
  auto rules = Rules(store, req.bucket);
  if (!rules.ok() || !*rules) return;
  const s3::CorsRule* rule = s3::MatchCorsRule(**rules, *origin, req.http->method);
  if (!rule) return;
  for (auto& [name, value] : s3::CorsResponseHeaders(*rule, *origin)) req.cors.Add(name, value);
}

}  // namespace ferry::server
