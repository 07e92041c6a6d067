// S3Store: buckets, listings, single-object reads, writes and deletes. Copy and the multipart
// API are in s3_store_multipart.cc.
#include "s3client/s3_store.h"

#include <condition_variable>
#include <mutex>

#include "core/checksum.h"
#include "s3/restore.h"
#include "s3/xml_request.h"
#include "s3/xml_response.h"
#include "s3client/s3_object_headers.h"
#include "s3client/s3_reader.h"
#include "s3client/s3_writer.h"

namespace ferry {
namespace {

constexpr size_t kDeleteBatch = 1000;
// U+10FFFF, the greatest code point: appended to a common prefix, it makes a StartAfter that
// skips every key under that prefix.
constexpr std::string_view kMaxCodePoint = "\xF4\x8F\xBF\xBF";

S3Call Call(const char* op, const char* method, std::string_view bucket,
            std::string_view key = {}) {
  S3Call call;
  call.op = op;
  call.spec.method = method;
  call.spec.bucket = std::string(bucket);
  call.spec.key = std::string(key);
  return call;
}

// A HEAD answer has no body: name the missing thing as S3 would in an error document.
Status NameNotFound(const Status& st, const char* op, std::string_view bucket,
                    std::string_view key) {
  if (st.http_status() != 404 || st.s3_code() != "NotFound") return st;
  const char* code = key.empty() ? "NoSuchBucket" : "NoSuchKey";
  return Status::NotFound(std::string(op) + " " + S3Url(bucket, key) + ": 404 " + code)
      .WithS3Code(code, 404);
}

std::string TokenKey(const ListObjectsRequest& req, std::string_view last) {
  std::string k = req.bucket;
  for (std::string_view part :
       {std::string_view(req.prefix), std::string_view(req.delimiter), last}) {
    k += '\0';
    k += part;
  }
  return k;
}

// True when s is a common prefix of a listing with prefix and delimiter.
bool IsCommonPrefix(std::string_view s, std::string_view prefix, std::string_view delimiter) {
  if (delimiter.empty() || !s.starts_with(prefix) || s.size() <= prefix.size()) return false;
  size_t at = s.find(delimiter, prefix.size());
  return at != std::string_view::npos && at + delimiter.size() == s.size();
}

}  // namespace

Result<std::unique_ptr<S3Store>> S3Store::Open(const S3StoreOptions& options) {
  FERRY_ASSIGN_OR_RETURN(auto transport, S3Transport::Create(options));
  return std::unique_ptr<S3Store>(new S3Store(std::move(transport)));
}

S3Store::S3Store(std::unique_ptr<S3Transport> transport)
    : transport_(std::move(transport)),
      pool_(std::max<size_t>(1, transport_->options().upload_concurrency)) {}

S3Store::~S3Store() = default;

Status S3Store::RunParallel(size_t n, const std::function<Status(size_t)>& fn) {
  std::mutex mu;
  std::condition_variable done_cv;
  size_t remaining = n;
  std::vector<Status> results(n);
  for (size_t i = 0; i < n; ++i) {
    pool_.Submit([&, i] {
      Status st = fn(i);
      std::lock_guard lock(mu);
      results[i] = std::move(st);
      if (--remaining == 0) done_cv.notify_all();
    });
  }
  std::unique_lock lock(mu);
  done_cv.wait(lock, [&] { return remaining == 0; });
  for (Status& st : results) {
    if (!st.ok()) return st;
  }
  return Status::OK();
}

Result<std::vector<BucketInfo>> S3Store::ListBuckets() {
  S3Call call = Call("ListBuckets", "GET", "");
  using R = std::vector<BucketInfo>;
  return transport_->RetryResult<R>([&](int) -> Result<R> {
    FERRY_ASSIGN_OR_RETURN(auto response, transport_->SendOnce(call));
    auto parsed = s3::ParseListBucketsResult(response.body);
    if (!parsed.ok()) return parsed.status().Annotate("ListBuckets");
    return std::move(parsed).value();
  });
}

Status S3Store::CreateBucket(std::string_view bucket) {
  const std::string body = s3::CreateBucketConfigurationXml(options().region);
  S3Call call = Call("CreateBucket", "PUT", bucket);
  if (!body.empty()) {
    call.body = body;
    call.spec.payload_hash = HexEncode(Digest(DigestKind::kSha256, body));
    call.spec.headers.emplace_back("Content-Type", "application/xml");
  }
  return transport_->Send(call).status();
}

Status S3Store::DeleteBucket(std::string_view bucket) {
  return transport_->Send(Call("DeleteBucket", "DELETE", bucket)).status();
}

Result<BucketInfo> S3Store::HeadBucket(std::string_view bucket) {
  auto response = transport_->Send(Call("HeadBucket", "HEAD", bucket));
  if (!response.ok()) return NameNotFound(response.status(), "HeadBucket", bucket, "");
  return BucketInfo{std::string(bucket), 0};
}

Result<ListObjectsPage> S3Store::ListObjects(const ListObjectsRequest& req) {
  const bool v1 = options().list_objects_version == 1;
  S3Call call = Call(v1 ? "ListObjects" : "ListObjectsV2", "GET", req.bucket);
  if (!v1) call.spec.query.emplace_back("list-type", "2");
  call.spec.query.emplace_back("encoding-type", "url");
  call.spec.query.emplace_back("max-keys", std::to_string(std::clamp(req.max_keys, 0, 1000)));
  if (!req.prefix.empty()) call.spec.query.emplace_back("prefix", req.prefix);
  if (!req.delimiter.empty()) call.spec.query.emplace_back("delimiter", req.delimiter);
  if (req.restore_status) {
    call.spec.headers.emplace_back("x-amz-optional-object-attributes", "RestoreStatus");
  }
  std::optional<std::string> token;
  if (!v1 && !req.start_after.empty()) token = list_tokens_.Get(TokenKey(req, req.start_after));
  std::string start_after = req.start_after;
  if (!start_after.empty() && IsCommonPrefix(start_after, req.prefix, req.delimiter)) {
    start_after += kMaxCodePoint;
  }
  auto send = [&](bool with_token) -> Result<s3::ListObjectsV2Result> {
    S3Call c = call;
    if (with_token) {
      c.spec.query.emplace_back("continuation-token", *token);
    } else if (!start_after.empty()) {
      c.spec.query.emplace_back(v1 ? "marker" : "start-after", start_after);
    }
    return transport_->RetryResult<s3::ListObjectsV2Result>(
        [&](int) -> Result<s3::ListObjectsV2Result> {
          FERRY_ASSIGN_OR_RETURN(auto response, transport_->SendOnce(c));
          auto parsed = s3::ParseListObjectsV2Result(response.body);
          if (!parsed.ok())
            return parsed.status().Annotate(std::string(c.op) + " " + S3Url(req.bucket));
          return std::move(parsed).value();
        });
  };
  auto result = send(token.has_value());
  if (!result.ok() && token && result.status().http_status() == 400) {
    result = send(false);  // an expired or foreign token: fall back to StartAfter
  }
  if (!result.ok()) return result.status();
  ListObjectsPage page = std::move(result->page);
  if (page.truncated) {
    if (page.last.empty()) page.last = req.start_after;
    if (!result->next_continuation_token.empty()) {
      list_tokens_.Put(TokenKey(req, page.last), result->next_continuation_token);
    }
  }
  return page;
}

Result<ObjectMeta> S3Store::HeadObject(std::string_view bucket, std::string_view key) {
  S3Call call = Call("HeadObject", "HEAD", bucket, key);
  call.spec.headers.emplace_back("x-amz-checksum-mode", "ENABLED");
  auto response = transport_->Send(call);
  if (!response.ok()) return NameNotFound(response.status(), "HeadObject", bucket, key);
  return ObjectMetaFromHeaders(key, response->headers);
}

Result<std::unique_ptr<ObjectReader>> S3Store::OpenObject(std::string_view bucket,
                                                          std::string_view key,
                                                          const OpenHints& hints) {
  return OpenS3Object(*transport_, bucket, key, hints);
}

Result<VersioningStatus> S3Store::GetBucketVersioning(std::string_view bucket) {
  S3Call call = Call("GetBucketVersioning", "GET", bucket);
  call.spec.query.emplace_back("versioning", "");
  FERRY_ASSIGN_OR_RETURN(auto response, transport_->Send(call));
  // A small document: <Status>Enabled|Suspended</Status>, or none.
  if (response.body.find(">Enabled<") != std::string::npos) return VersioningStatus::kEnabled;
  if (response.body.find(">Suspended<") != std::string::npos) return VersioningStatus::kSuspended;
  return VersioningStatus::kUnversioned;
}

Result<ListVersionsPage> S3Store::ListObjectVersions(const ListVersionsRequest& req) {
  S3Call call = Call("ListObjectVersions", "GET", req.bucket);
  call.spec.query.emplace_back("versions", "");
  call.spec.query.emplace_back("encoding-type", "url");
  call.spec.query.emplace_back("max-keys", std::to_string(std::clamp(req.max_keys, 0, 1000)));
  if (!req.prefix.empty()) call.spec.query.emplace_back("prefix", req.prefix);
  if (!req.delimiter.empty()) call.spec.query.emplace_back("delimiter", req.delimiter);
  if (!req.key_marker.empty()) {
    std::string marker = req.key_marker;
    // After a common prefix: past every key in it, as ListObjects does.
    if (req.version_id_marker.empty() && IsCommonPrefix(marker, req.prefix, req.delimiter)) {
      marker += kMaxCodePoint;
    }
    call.spec.query.emplace_back("key-marker", marker);
  }
  if (!req.version_id_marker.empty()) {
    call.spec.query.emplace_back("version-id-marker", req.version_id_marker);
  }
  return transport_->RetryResult<ListVersionsPage>([&](int) -> Result<ListVersionsPage> {
    FERRY_ASSIGN_OR_RETURN(auto response, transport_->SendOnce(call));
    auto parsed = s3::ParseListVersionsResult(response.body);
    if (!parsed.ok()) return parsed.status().Annotate("ListObjectVersions " + S3Url(req.bucket));
    return std::move(parsed).value();
  });
}

Result<ObjectMeta> S3Store::HeadObjectVersion(std::string_view bucket, std::string_view key,
                                              std::string_view version_id) {
  if (version_id.empty()) return HeadObject(bucket, key);
  S3Call call = Call("HeadObject", "HEAD", bucket, key);
  call.spec.query.emplace_back("versionId", std::string(version_id));
  call.spec.headers.emplace_back("x-amz-checksum-mode", "ENABLED");
  auto response = transport_->Send(call);
  if (!response.ok()) return NameNotFound(response.status(), "HeadObject", bucket, key);
  ObjectMeta meta = ObjectMetaFromHeaders(key, response->headers);
  meta.version_id = std::string(version_id);
  return meta;
}

Result<std::unique_ptr<ObjectReader>> S3Store::OpenObjectVersion(std::string_view bucket,
                                                                 std::string_view key,
                                                                 std::string_view version_id,
                                                                 const OpenHints& hints) {
  return OpenS3Object(*transport_, bucket, key, hints, version_id);
}

Result<std::unique_ptr<ObjectWriter>> S3Store::PutObject(const PutObjectRequest& req) {
  if (req.bucket.empty() || req.key.empty()) {
    return Status::InvalidArgument("PutObject needs a bucket and a key");
  }
  return NewS3ObjectWriter(*transport_, pool_, req);
}

Status S3Store::DeleteObject(std::string_view bucket, std::string_view key) {
  return transport_->Send(Call("DeleteObject", "DELETE", bucket, key)).status();
}

Result<std::vector<Status>> S3Store::DeleteObjects(std::string_view bucket,
                                                   const std::vector<std::string>& keys) {
  std::vector<Status> out(keys.size());
  size_t batches = (keys.size() + kDeleteBatch - 1) / kDeleteBatch;
  Status st = RunParallel(batches, [&](size_t b) -> Status {
    size_t first = b * kDeleteBatch;
    size_t last = std::min(keys.size(), first + kDeleteBatch);
    std::vector<std::string> batch(keys.begin() + first, keys.begin() + last);
    FERRY_ASSIGN_OR_RETURN(std::vector<Status> statuses, DeleteBatch(bucket, batch));
    std::move(statuses.begin(), statuses.end(), out.begin() + first);
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<Status>> S3Store::DeleteBatch(std::string_view bucket,
                                                 const std::vector<std::string>& keys) {
  std::vector<Status> out(keys.size());
  std::vector<std::string> listed;
  std::vector<size_t> listed_index;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (s3::IsXmlSafe(keys[i])) {
      listed.push_back(keys[i]);
      listed_index.push_back(i);
    } else {
      out[i] = DeleteObject(bucket, keys[i]);  // cannot travel in XML 1.0
    }
  }
  if (listed.empty()) return out;
  const std::string body = s3::DeleteObjectsRequestXml(listed, /*quiet=*/true);
  S3Call call = Call("DeleteObjects", "POST", bucket);
  call.spec.query = {{"delete", ""}};
  call.spec.payload_hash = HexEncode(Digest(DigestKind::kSha256, body));
  call.spec.headers = {{"Content-Type", "application/xml"},
                       {"Content-MD5", Base64Encode(Digest(DigestKind::kMd5, body))}};
  call.body = body;
  using R = s3::DeleteResultParsed;
  FERRY_ASSIGN_OR_RETURN(R result, transport_->RetryResult<R>([&](int) -> Result<R> {
    FERRY_ASSIGN_OR_RETURN(auto response, transport_->SendOnce(call));
    auto parsed = s3::ParseDeleteResult(response.body);
    if (!parsed.ok()) return parsed.status().Annotate("DeleteObjects " + S3Url(bucket));
    return std::move(parsed).value();
  }));
  std::map<std::string, Status> failed;
  for (const s3::ErrorResponse& e : result.errors) {
    failed.emplace(e.key, s3::StatusFromErrorResponse(200, e).Annotate("DeleteObjects " +
                                                                       S3Url(bucket, e.key)));
  }
  for (size_t j = 0; j < listed.size(); ++j) {
    auto it = failed.find(listed[j]);
    if (it != failed.end()) out[listed_index[j]] = it->second;
  }
  return out;
}

Result<int> S3Store::RestoreObject(const RestoreObjectRequest& req) {
  if (req.tier != s3::RestoreTierName(req.tier)) {
    return Status::InvalidArgument("unknown restore tier '" + req.tier +
                                   "' (Expedited, Standard or Bulk)");
  }
  const std::string body = s3::RestoreRequestXml({.days = req.days, .tier = req.tier});
  S3Call call = Call("RestoreObject", "POST", req.bucket, req.key);
  call.spec.query = {{"restore", ""}};
  if (!req.version_id.empty()) call.spec.query.emplace_back("versionId", req.version_id);
  call.spec.payload_hash = HexEncode(Digest(DigestKind::kSha256, body));
  call.spec.headers = {{"Content-Type", "application/xml"}};
  call.body = body;
  FERRY_ASSIGN_OR_RETURN(http::ClientResponse response, transport_->Send(call));
  return response.status;
}

StoreInfo S3Store::Info() const {
  const S3StoreOptions& o = options();
  const S3Stats s = stats();
  return {o.endpoint.empty() ? "aws:" + o.region : o.endpoint, s.requests, s.retries};
}

}  // namespace ferry
