// Service and bucket operations: bucket lifecycle, listings, batch delete, and the bucket
// sub-resources clients probe.
#include <algorithm>

#include "core/checksum.h"
#include "s3/acl.h"
#include "s3/errors.h"
#include "s3/xml.h"
#include "s3/xml_parse.h"
#include "server/operations.h"
#include "server/request_body.h"
#include "server/request_headers.h"
#include "server/response.h"
#include "server/users.h"

namespace ferry::server {
namespace {

// A DeleteObjects body lists at most 1000 keys of at most 1 KiB each.
constexpr size_t kMaxDeleteBodyBytes = 2 << 20;
constexpr size_t kMaxCreateBucketBodyBytes = 64 << 10;

// Continuation tokens are opaque to clients: the base64 of where the next page starts.
std::string EncodeToken(const std::string& last) {
  return Base64Encode("1" + last);
}

Result<std::string> DecodeToken(const std::string& token) {
  auto raw = Base64Decode(token);
  if (!raw || raw->empty() || (*raw)[0] != '1') {
    return s3err::InvalidArgument("The continuation token provided is incorrect");
  }
  return raw->substr(1);
}

Status CheckEncodingType(const S3Request& req) {
  std::string encoding = req.Param("encoding-type");
  if (!encoding.empty() && encoding != "url") {
    return s3err::InvalidArgument("Invalid Encoding Method specified in Request");
  }
  return Status::OK();
}

// max-keys=0 asks for nothing, and S3 says there is nothing more (IsTruncated false).
Result<ListObjectsPage> ListPage(ObjectStore& store, const ListObjectsRequest& list) {
  if (list.max_keys > 0) return store.ListObjects(list);
  FERRY_ASSIGN_OR_RETURN(BucketInfo info, store.HeadBucket(list.bucket));
  (void)info;
  return ListObjectsPage{};
}

}  // namespace

Status ListBuckets(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(auto buckets, op.store.ListBuckets());
  if (op.req.auth) {
    // A user sees the buckets they own.
    // (A bucket deleted meanwhile, whose owner cannot be read, is no one's.)
    std::erase_if(buckets, [&](const BucketInfo& b) {
      auto owner = RecordedOwner(op.store, b.name);
      return !owner.ok() || *owner != op.req.user_id;
    });
  }
  return SendXml(op.req, s3::ListBucketsXml(op.owner, buckets), op.out);
}

Status CreateBucket(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(std::string xml,
                         ReadWholeBody(op.req, op.body, kMaxCreateBucketBodyBytes));
  if (!xml.empty()) {
    // Any location is accepted: one server is one region.
    FERRY_ASSIGN_OR_RETURN(std::string location, s3::ParseCreateBucketConfiguration(xml));
    (void)location;
  }
  FERRY_ASSIGN_OR_RETURN(std::optional<s3::Acl> acl, op.access.RequestedAcl(op.req));
  if (Status created = op.store.CreateBucket(op.req.bucket); !created.ok()) {
    if (created.s3_code() == "BucketAlreadyOwnedByYou" && op.req.auth) {
      auto owner = RecordedOwner(op.store, op.req.bucket);
      if (!owner.ok() || *owner != op.req.user_id) {
        // Someone else's: S3 says the name is taken.
        return Status(Status::Code::kAlreadyExists,
                      "The requested bucket name is not available. The bucket namespace is "
                      "shared by all users of the system. Please select a different name and try "
                      "again.")
            .WithS3Code("BucketAlreadyExists", 409);
      }
    }
    return created;
  }
  if (op.req.auth && op.req.user_id != kServerUserId) {
    // The server user's buckets need no record: a bucket without one is theirs. (A store that
    // keeps no bucket documents makes every bucket the server user's.)
    Status owned = op.store.SetBucketConfig(op.req.bucket, kOwnerConfig, op.req.user_id);
    if (!owned.ok() && owned.s3_code() != "NotImplemented") return owned;
  }
  if (acl && !acl->empty()) {
    FERRY_RETURN_IF_ERROR(op.store.SetBucketConfig(op.req.bucket, kAclConfig, s3::EncodeAcl(*acl)));
  }
  if (http::EqualsIgnoreCase(op.req.HeaderOr("x-amz-bucket-object-lock-enabled"), "true")) {
    FERRY_RETURN_IF_ERROR(EnableObjectLock(op));
  }
  http::Headers h = BaseHeaders(op.req);
  h.Add("Location", "/" + op.req.bucket);
  return SendEmpty(op.req, 200, op.out, std::move(h));
}

Status DeleteBucket(OpContext& op) {
  FERRY_RETURN_IF_ERROR(op.store.DeleteBucket(op.req.bucket));
  return SendEmpty(op.req, 204, op.out, BaseHeaders(op.req));
}

Status HeadBucket(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(BucketInfo info, op.store.HeadBucket(op.req.bucket));
  (void)info;
  http::Headers h = BaseHeaders(op.req);
  h.Add("x-amz-bucket-region", op.region);
  return SendEmpty(op.req, 200, op.out, std::move(h));
}

Status GetBucketLocation(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(BucketInfo info, op.store.HeadBucket(op.req.bucket));
  (void)info;
  // us-east-1 is written as an empty LocationConstraint, as S3 does.
  return SendXml(op.req, s3::LocationConstraintXml(op.region == "us-east-1" ? "" : op.region),
                 op.out);
}

Status GetBucketVersioning(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(VersioningStatus status, op.store.GetBucketVersioning(op.req.bucket));
  return SendXml(op.req, s3::VersioningConfigurationXml(status), op.out);
}

Status PutBucketVersioning(OpContext& op) {
  FERRY_ASSIGN_OR_RETURN(std::string xml,
                         ReadWholeBody(op.req, op.body, kMaxCreateBucketBodyBytes));
  FERRY_ASSIGN_OR_RETURN(VersioningStatus status, s3::ParseVersioningConfiguration(xml));
  if (status != VersioningStatus::kEnabled) {
    FERRY_ASSIGN_OR_RETURN(auto lock, BucketObjectLock(op));
    if (lock) {
      return Status::PreconditionFailed(
                 "An Object Lock configuration is present on this bucket, so the versioning "
                 "state cannot be changed.")
          .WithS3Code("InvalidBucketState", 409);
    }
  }
  FERRY_RETURN_IF_ERROR(op.store.SetBucketVersioning(op.req.bucket, status));
  return SendEmpty(op.req, 200, op.out, BaseHeaders(op.req));
}

Status ListObjectVersions(OpContext& op) {
  const S3Request& req = op.req;
  FERRY_RETURN_IF_ERROR(CheckEncodingType(req));
  s3::ListVersionsParams params;
  params.bucket = req.bucket;
  params.prefix = req.Param("prefix");
  params.delimiter = req.Param("delimiter");
  params.key_marker = req.Param("key-marker");
  params.version_id_marker = req.Param("version-id-marker");
  params.url_encoding = req.Param("encoding-type") == "url";
  FERRY_ASSIGN_OR_RETURN(params.max_keys, IntQueryParam(req, "max-keys", 1000, 0, 1000));
  if (req.HasParam("version-id-marker") && !req.HasParam("key-marker")) {
    op.error.elements.push_back({"ArgumentName", "version-id-marker"});
    op.error.elements.push_back({"ArgumentValue", params.version_id_marker});
    return s3err::InvalidArgument("A version-id marker cannot be specified without a key marker.");
  }
  if (req.HasParam("version-id-marker") && params.version_id_marker.empty()) {
    op.error.elements.push_back({"ArgumentName", "version-id-marker"});
    op.error.elements.push_back({"ArgumentValue", ""});
    return s3err::InvalidArgument("A version-id marker cannot be empty.");
  }
  ListVersionsPage page;
  if (params.max_keys > 0) {
    ListVersionsRequest list;
    list.bucket = req.bucket;
    list.prefix = params.prefix;
    list.delimiter = params.delimiter;
    list.key_marker = params.key_marker;
    list.version_id_marker = params.version_id_marker;
    list.max_keys = params.max_keys;
    FERRY_ASSIGN_OR_RETURN(page, op.store.ListObjectVersions(list));
  } else {
    FERRY_RETURN_IF_ERROR(op.store.HeadBucket(req.bucket).status());
  }
  return SendXml(req, s3::ListVersionsXml(params, page, op.owner), op.out);
}

Status AnswerUnconfigured(OpContext& op, std::string_view subresource) {
  FERRY_ASSIGN_OR_RETURN(BucketInfo info, op.store.HeadBucket(op.req.bucket));
  (void)info;
  struct Answer {
    std::string_view subresource, code, message;
  };
  static constexpr Answer kAnswers[] = {
      {"policy", "NoSuchBucketPolicy", "The bucket policy does not exist"},
      {"tagging", "NoSuchTagSet", "The TagSet does not exist"},
      {"website", "NoSuchWebsiteConfiguration",
       "The specified bucket does not have a website "
       "configuration"},
      {"encryption", "ServerSideEncryptionConfigurationNotFoundError",
       "The server side encryption configuration was not found"},
      {"object-lock", "ObjectLockConfigurationNotFoundError",
       "Object Lock configuration does not exist for this bucket"},
      {"replication", "ReplicationConfigurationNotFoundError",
       "The replication configuration was not found"},
  };
  for (const auto& a : kAnswers) {
    if (a.subresource == subresource) {
      return Status(Status::Code::kNotFound, a.message).WithS3Code(a.code, 404);
    }
  }
  return s3err::NotImplemented("This bucket sub-resource is not implemented");
}

Status ListObjectsV2(OpContext& op) {
  const S3Request& req = op.req;
  FERRY_RETURN_IF_ERROR(CheckEncodingType(req));
  s3::ListObjectsV2Params params;
  params.bucket = req.bucket;
  params.prefix = req.Param("prefix");
  params.delimiter = req.Param("delimiter");
  params.start_after = req.Param("start-after");
  params.continuation_token = req.Param("continuation-token");
  params.url_encoding = req.Param("encoding-type") == "url";
  params.fetch_owner = req.Param("fetch-owner") == "true";
  FERRY_ASSIGN_OR_RETURN(params.max_keys, IntQueryParam(req, "max-keys", 1000, 0, 1000));
  if (auto wanted = req.Header("x-amz-optional-object-attributes")) {
    if (*wanted != "RestoreStatus") {
      return s3err::InvalidArgument("Invalid attribute name specified.");
    }
    params.restore_status_at_ns = op.options.clock->NowNanos();
  }
  ListObjectsRequest list;
  list.bucket = req.bucket;
  list.prefix = params.prefix;
  list.delimiter = params.delimiter;
  list.max_keys = params.max_keys;
  list.start_after = params.start_after;
  if (req.HasParam("continuation-token")) {
    FERRY_ASSIGN_OR_RETURN(list.start_after, DecodeToken(params.continuation_token));
  }
  FERRY_ASSIGN_OR_RETURN(ListObjectsPage page, ListPage(op.store, list));
  if (page.truncated) params.next_continuation_token = EncodeToken(page.last);
  return SendXml(req, s3::ListObjectsV2Xml(params, page, op.owner), op.out);
}

Status ListObjectsV1(OpContext& op) {
  const S3Request& req = op.req;
  FERRY_RETURN_IF_ERROR(CheckEncodingType(req));
  s3::ListObjectsV1Params params;
  params.bucket = req.bucket;
  params.prefix = req.Param("prefix");
  params.delimiter = req.Param("delimiter");
  params.marker = req.Param("marker");
  params.url_encoding = req.Param("encoding-type") == "url";
  FERRY_ASSIGN_OR_RETURN(params.max_keys, IntQueryParam(req, "max-keys", 1000, 0, 1000));
  ListObjectsRequest list;
  list.bucket = req.bucket;
  list.prefix = params.prefix;
  list.delimiter = params.delimiter;
  list.start_after = params.marker;
  list.max_keys = params.max_keys;
  FERRY_ASSIGN_OR_RETURN(ListObjectsPage page, ListPage(op.store, list));
  return SendXml(req, s3::ListObjectsV1Xml(params, page, op.owner), op.out);
}

Status DeleteObjects(OpContext& op) {
  const S3Request& req = op.req;
  FERRY_ASSIGN_OR_RETURN(std::string xml, ReadWholeBody(req, op.body, kMaxDeleteBodyBytes));
  FERRY_ASSIGN_OR_RETURN(std::string md5, ContentMd5(req));
  if (!md5.empty() && Base64Encode(Digest(DigestKind::kMd5, xml)) != md5) {
    return s3err::BadDigest("The Content-MD5 you specified did not match what we received.");
  }
  FERRY_ASSIGN_OR_RETURN(s3::DeleteObjectsRequest del, s3::ParseDeleteObjects(xml));
  FERRY_ASSIGN_OR_RETURN(VersioningStatus versioning, op.store.GetBucketVersioning(req.bucket));
  std::vector<s3::DeleteOutcome> outcomes(del.keys.size());
  bool any_version = std::any_of(del.version_ids.begin(), del.version_ids.end(),
                                 [](const std::string& v) { return !v.empty(); });
  if (versioning == VersioningStatus::kUnversioned && !any_version) {
    // The common case in one store call (one index commit for the whole batch).
    FERRY_ASSIGN_OR_RETURN(std::vector<Status> results,
                           op.store.DeleteObjects(req.bucket, del.keys));
    for (size_t i = 0; i < del.keys.size(); ++i) {
      outcomes[i].key = del.keys[i];
      outcomes[i].status = results[i].ok() ? results[i] : s3err::ToS3(results[i]);
    }
  } else {
    for (size_t i = 0; i < del.keys.size(); ++i) {
      s3::DeleteOutcome& o = outcomes[i];
      o.key = del.keys[i];
      o.version_id = del.version_ids[i];
      auto done =
          op.store.DeleteObjectVersion(req.bucket, o.key, o.version_id, DeleteOptionsFrom(req));
      if (!done.ok()) {
        o.status = s3err::ToS3(done.status());
        continue;
      }
      o.delete_marker = done->delete_marker;
      if (o.delete_marker) o.marker_version_id = done->version_id;
    }
  }
  return SendXml(req, s3::DeleteResultXml(outcomes, del.quiet), op.out);
}

}  // namespace ferry::server
