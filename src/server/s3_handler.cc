#include "server/s3_handler.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "s3/errors.h"
#include "server/response.h"
#include "server/users.h"

namespace ferry::server {
namespace {

std::string_view HostWithoutPort(std::string_view host) {
  if (host.starts_with('[')) return host;  // IPv6 literal: never a bucket name
  auto colon = host.rfind(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

s3::Verifier::Options VerifierOptions(const S3ServerOptions& options) {
  s3::Verifier::Options v;
  std::vector<s3::Credentials> creds = options.credentials;
  const UserDirectory* users = options.users;
  v.lookup = [creds, users](std::string_view access_key) -> Result<std::string> {
    if (users) {
      if (auto u = users->ByAccessKey(access_key)) return u->secret_key;
      return Status::NotFound("unknown access key");
    }
    for (const auto& c : creds) {
      if (c.access_key_id == access_key) return c.secret_access_key;
    }
    return Status::NotFound("unknown access key");
  };
  v.clock = options.clock;
  v.region = options.region;
  v.allow_sigv2 = options.allow_sigv2;
  return v;
}

}  // namespace

S3Handler::S3Handler(const S3ServerOptions& options, ObjectStore& store)
    : options_(options),
      store_(store),
      verifier_(VerifierOptions(options)),
      access_(store, options_) {
  owner_.id = std::string(kServerUserId);
  owner_.display_name = std::string(kServerUserId);
  std::random_device rd;
  request_id_base_ = (uint64_t{rd()} << 32) ^ rd();
}

std::string S3Handler::NextRequestId() {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llX",
                static_cast<unsigned long long>(request_id_base_ + next_request_++));
  return buf;
}

Status S3Handler::Route(const http::Request& http, S3Request& req) const {
  auto path = s3::UriDecode(http.path);
  if (!path || path->empty() || (*path)[0] != '/') {
    return Status::InvalidArgument("Couldn't parse the specified URI.")
        .WithS3Code("InvalidURI", 400);
  }
  std::string_view rest = std::string_view(*path).substr(1);
  // A view into the request's own headers (GetOr would return a temporary copy).
  std::string_view host = HostWithoutPort(http.headers.Get("host").value_or(""));
  for (const auto& domain : options_.domains) {
    if (host.size() > domain.size() + 1 && host.ends_with(domain) &&
        host[host.size() - domain.size() - 1] == '.') {
      req.bucket = std::string(host.substr(0, host.size() - domain.size() - 1));
      req.key = std::string(rest);
      req.virtual_hosted = true;
      return Status::OK();
    }
  }
  auto slash = rest.find('/');
  req.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) req.key = std::string(rest.substr(slash + 1));
  return Status::OK();
}

Status S3Handler::Authenticate(S3Request& req, ErrorExtras& error) const {
  s3::SignableRequest signable;
  signable.method = req.http->method;
  signable.path = req.http->path;
  signable.query = req.query;
  signable.raw_query = req.http->query;
  if (req.virtual_hosted) signable.virtual_host_bucket = req.bucket;
  for (const auto& f : req.http->headers.fields()) signable.headers.emplace_back(f.name, f.value);
  // An unsigned request goes on as nobody's: it may do what grants to AllUsers allow.
  if (s3::DetectAuthKind(signable) == s3::AuthKind::kAnonymous) return Status::OK();
  std::string string_to_sign;
  auto auth = verifier_.Verify(signable, &string_to_sign);
  if (!auth.ok()) {
    // A SigV2 client is told what the server signed, as S3 does.
    if (!string_to_sign.empty()) error.elements.push_back({"StringToSign", string_to_sign});
    return auth.status();
  }
  req.auth = std::move(auth).value();
  return Status::OK();
}

void S3Handler::Handle(const http::Request& http, http::BodyReader& body,
                       http::ResponseWriter& out) {
  auto started = std::chrono::steady_clock::now();
  measures_.Started();
  S3Request req;
  req.http = &http;
  req.request_id = NextRequestId();
  OpContext op{store_, req, body, out, owner_, options_.region, options_, documents_mu_, access_};
  Status st;
  auto query = s3::ParseQuery(http.query);
  if (!query.ok()) {
    st = s3err::InvalidArgument("Invalid query string");
  } else {
    req.query = std::move(query).value();
    st = Route(http, req);
    if (st.ok() && http.method == "OPTIONS") {
      st = AnswerPreflight(op);  // a browser's, never signed
    } else if (st.ok()) {
      AddCorsHeaders(store_, req);
      if (IsPostObject(req)) {
        // The form's policy is signed, not the request: its signer (or, for an unsigned form,
        // AllUsers) must be allowed to write into the bucket.
        st = PostObject(op, verifier_, [&](const std::optional<s3::AuthContext>& signer) {
          req.auth = signer;
          return access_.AuthorizeWrite(req, op.owner);
        });
      } else {
        st = Authenticate(req, op.error);
        if (st.ok()) st = access_.Authorize(req, op.owner);
        if (st.ok()) st = Dispatch(op);
      }
    }
  }
  if (!st.ok()) {
    if (st.s3_code() == "AuthorizationHeaderMalformed" ||
        st.s3_code() == "AuthorizationQueryParametersError") {
      // Clients (botocore's region redirector) sign again for the region named here.
      op.error.elements.push_back({"Region", options_.region});
    }
    SendError(req, st, out, op.error);
  }
  measures_.Finished(http.method, st.ok() ? 200 : s3err::ToS3(st).http_status(), body.bytes_read(),
                     std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now() - started)
                         .count());
  if (spdlog::should_log(spdlog::level::debug) || (!st.ok() && st.http_status() >= 500)) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
    auto level = !st.ok() && s3err::ToS3(st).http_status() >= 500 ? spdlog::level::warn
                                                                  : spdlog::level::debug;
    spdlog::log(level, "{} {} {} {} {}us {}", http.remote_address, http.method, http.target,
                st.ok() ? "OK" : s3err::ToS3(st).s3_code(), us, st.ok() ? "" : st.message());
  }
}

void S3Handler::Reject(int status, std::string_view reason, http::ResponseWriter& out) {
  measures_.Rejected();
  http::Request http;
  http.method = "GET";
  S3Request req;
  req.http = &http;
  req.request_id = NextRequestId();
  Status st;
  if (status == 431) {
    st = s3err::RequestHeaderSectionTooLarge();
  } else if (status == 503) {
    st = s3err::SlowDown("Please reduce your request rate.");
  } else if (status == 500) {
    st = s3err::InternalError(reason);
  } else {
    st = s3err::InvalidRequest(std::string("Malformed HTTP request: ") + std::string(reason));
  }
  out.CloseAfterResponse();
  SendError(req, st, out);
}

Status S3Handler::Dispatch(OpContext& op) const {
  const S3Request& req = op.req;
  const std::string& method = req.http->method;
  if (req.bucket.empty()) {
    if (method == "GET") return ListBuckets(op);
    return s3err::MethodNotAllowed("The specified method is not allowed against this resource.");
  }
  if (req.key.empty()) return DispatchBucket(op);
  return DispatchObject(op);
}

Status S3Handler::DispatchBucket(OpContext& op) const {
  const S3Request& req = op.req;
  const std::string& method = req.http->method;
  static constexpr std::string_view kUnconfigured[] = {"policy", "website", "encryption",
                                                       "replication"};
  if (method == "GET") {
    if (req.HasParam("location")) return GetBucketLocation(op);
    if (req.HasParam("tagging")) return GetBucketTagging(op);
    if (req.HasParam("lifecycle")) return GetBucketLifecycleConfiguration(op);
    if (req.HasParam("cors")) return GetBucketCors(op);
    if (req.HasParam("intelligent-tiering")) {
      if (req.HasParam("id")) return GetBucketIntelligentTieringConfiguration(op);
      return ListBucketIntelligentTieringConfigurations(op);
    }
    if (req.HasParam("object-lock")) return GetObjectLockConfiguration(op);
    if (req.HasParam("versioning")) return GetBucketVersioning(op);
    if (req.HasParam("acl")) return GetBucketAcl(op);
    if (req.HasParam("publicAccessBlock")) return GetPublicAccessBlock(op);
    if (req.HasParam("policyStatus")) return GetBucketPolicyStatus(op);
    if (req.HasParam("uploads")) return ListMultipartUploads(op);
    for (auto sub : kUnconfigured) {
      if (req.HasParam(sub)) return AnswerUnconfigured(op, sub);
    }
    if (req.HasParam("versions")) return ListObjectVersions(op);
    if (req.Param("list-type") == "2") return ListObjectsV2(op);
    return ListObjectsV1(op);
  }
  if (method == "PUT") {
    if (req.HasParam("acl")) return PutBucketAcl(op);
    if (req.HasParam("publicAccessBlock")) return PutPublicAccessBlock(op);
    if (req.HasParam("versioning")) return PutBucketVersioning(op);
    if (req.HasParam("tagging")) return PutBucketTagging(op);
    if (req.HasParam("lifecycle")) return PutBucketLifecycleConfiguration(op);
    if (req.HasParam("cors")) return PutBucketCors(op);
    if (req.HasParam("intelligent-tiering")) return PutBucketIntelligentTieringConfiguration(op);
    if (req.HasParam("object-lock")) return PutObjectLockConfiguration(op);
    if (!req.query.empty()) {
      return s3err::NotImplemented("This bucket configuration is not supported");
    }
    return CreateBucket(op);
  }
  if (method == "HEAD") return HeadBucket(op);
  if (method == "DELETE") {
    if (req.HasParam("tagging")) return DeleteBucketTagging(op);
    if (req.HasParam("lifecycle")) return DeleteBucketLifecycleConfiguration(op);
    if (req.HasParam("cors")) return DeleteBucketCors(op);
    if (req.HasParam("publicAccessBlock")) return DeletePublicAccessBlock(op);
    if (req.HasParam("intelligent-tiering")) {
      return DeleteBucketIntelligentTieringConfiguration(op);
    }
    for (auto sub : kUnconfigured) {
      if (req.HasParam(sub)) return SendEmpty(req, 204, op.out, BaseHeaders(req));
    }
    return DeleteBucket(op);
  }
  if (method == "POST" && req.HasParam("delete")) return DeleteObjects(op);
  return s3err::MethodNotAllowed("The specified method is not allowed against this resource.");
}

Status S3Handler::DispatchObject(OpContext& op) const {
  const S3Request& req = op.req;
  const std::string& method = req.http->method;
  bool has_upload = req.HasParam("uploadId");
  if (method == "GET" || method == "HEAD") {
    if (has_upload && method == "GET") return ListParts(op);
    if (req.HasParam("acl")) return GetObjectAcl(op);
    if (req.HasParam("attributes")) return GetObjectAttributes(op);
    if (req.HasParam("tagging")) return GetObjectTagging(op);
    if (req.HasParam("retention")) return GetObjectRetention(op);
    if (req.HasParam("legal-hold")) return GetObjectLegalHold(op);
    return GetObject(op);
  }
  if (method == "PUT") {
    if (has_upload) {
      if (req.Header("x-amz-copy-source")) return UploadPartCopy(op);
      return UploadPart(op);
    }
    if (req.HasParam("acl")) return PutObjectAcl(op);
    if (req.HasParam("tagging")) return PutObjectTagging(op);
    if (req.HasParam("retention")) return PutObjectRetention(op);
    if (req.HasParam("legal-hold")) return PutObjectLegalHold(op);
    if (req.Header("x-amz-copy-source")) return CopyObject(op);
    return PutObject(op);
  }
  if (method == "DELETE") {
    if (has_upload) return AbortMultipartUpload(op);
    if (req.HasParam("tagging")) return DeleteObjectTagging(op);
    return DeleteObject(op);
  }
  if (method == "POST") {
    if (req.HasParam("uploads")) return CreateMultipartUpload(op);
    if (has_upload) return CompleteMultipartUpload(op);
    if (req.HasParam("restore")) return RestoreObject(op);
  }
  return s3err::MethodNotAllowed("The specified method is not allowed against this resource.");
}

}  // namespace ferry::server
