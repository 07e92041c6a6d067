// POST Object: a browser's HTML form upload to a bucket (multipart/form-data), authorised by
// the form's signed policy (s3/post_policy.h; SigV4, or SigV2 as older boto3 signs it by
// default) instead of a signed request. The fields before
// the file are read (at most 20 KiB, as S3); the file itself streams into the store, its size
// checked against content-length-range as it comes.
#include <algorithm>
#include <map>

#include "core/ascii.h"
#include "s3/acl.h"
#include "s3/errors.h"
#include "s3/form_data.h"
#include "s3/http_semantics.h"
#include "s3/names.h"
#include "s3/post_policy.h"
#include "s3/tagging.h"
#include "s3/uri.h"
#include "s3/xml_dom.h"
#include "server/operations.h"
#include "server/request_headers.h"
#include "server/response.h"

namespace ferry::server {
namespace {

constexpr size_t kMaxFieldBytes = 20 << 10;  // all fields before the file, as S3
constexpr size_t kChunk = 1 << 20;

Status InvalidArgument(const std::string& message) {
  return Status::InvalidArgument(message).WithS3Code("InvalidArgument", 400);
}

std::string Field(const std::map<std::string, std::string>& fields, const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

// The object's headers from the form's fields, read as PutObject reads request headers.
Result<ObjectHeaders> HeadersOf(const S3Request& req,
                                const std::map<std::string, std::string>& fields,
                                const std::string& file_content_type) {
  http::Request form;
  form.method = "POST";
  for (const auto& [name, value] : fields) {
    if (name == "content-type" || name == "cache-control" || name == "content-disposition" ||
        name == "content-encoding" || name == "expires" || name == "x-amz-storage-class" ||
        name.starts_with("x-amz-meta-")) {
      form.headers.Add(name, value);
    }
  }
  if (!fields.contains("content-type") && !file_content_type.empty()) {
    form.headers.Add("content-type", file_content_type);
  }
  S3Request as_headers = req;
  as_headers.http = &form;
  FERRY_ASSIGN_OR_RETURN(ObjectHeaders headers, ObjectHeadersFrom(as_headers));
  if (auto tagging = fields.find("tagging"); tagging != fields.end()) {
    FERRY_ASSIGN_OR_RETURN(headers.tags, s3::ParseTaggingXml(tagging->second));
  }
  return headers;
}

// The answer S3 gives a successful form upload: a redirect, 201 with a document, or 200/204.
Status Answer(OpContext& op, const std::map<std::string, std::string>& fields,
              const std::string& key, const ObjectMeta& meta) {
  const S3Request& req = op.req;
  const std::string location = "/" + req.bucket + "/" + s3::UriEncode(key, false);
  http::Headers h = BaseHeaders(req);
  h.Add("ETag", s3::QuoteEtag(meta.etag));
  if (!meta.version_id.empty()) h.Add("x-amz-version-id", meta.version_id);
  std::string redirect = Field(fields, "success_action_redirect");
  if (redirect.empty()) redirect = Field(fields, "redirect");
  if (!redirect.empty()) {
    redirect += redirect.find('?') == std::string::npos ? "?" : "&";
    redirect += "bucket=" + s3::UriEncode(req.bucket, true) + "&key=" + s3::UriEncode(key, true) +
                "&etag=" + s3::UriEncode(s3::QuoteEtag(meta.etag), true);
    h.Add("Location", redirect);
    return SendEmpty(req, 303, op.out, std::move(h));
  }
  h.Add("Location", location);
  const std::string status = Field(fields, "success_action_status");
  if (status == "201") {
    pugi::xml_document doc;
    pugi::xml_node root = s3::xml::NewRoot(doc, "PostResponse", /*with_namespace=*/false);
    root.append_child("Location").text().set(location.c_str());
    root.append_child("Bucket").text().set(req.bucket.c_str());
    root.append_child("Key").text().set(key.c_str());
    root.append_child("ETag").text().set(s3::QuoteEtag(meta.etag).c_str());
    return SendXml(req, 201, s3::xml::Save(doc), op.out, std::move(h));
  }
  return SendEmpty(req, status == "200" ? 200 : 204, op.out, std::move(h));
}

}  // namespace

bool IsPostObject(const S3Request& req) {
  return req.http->method == "POST" && !req.bucket.empty() && req.key.empty() &&
         !req.HasParam("delete") && s3::FormDataBoundary(req.HeaderOr("content-type")).has_value();
}

Status PostObject(OpContext& op, const s3::Verifier& verifier,
                  const std::function<Status(const std::optional<s3::AuthContext>&)>& authorize) {
  const S3Request& req = op.req;
  const std::string boundary = *s3::FormDataBoundary(req.HeaderOr("content-type"));
  s3::FormDataReader form([&](std::span<char> out) { return op.body.Read(out); }, boundary);
  std::map<std::string, std::string> fields;
  std::optional<s3::FormDataReader::Part> file;
  size_t field_bytes = 0;
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(auto part, form.NextPart());
    if (!part) break;
    const std::string name = AsciiLower(part->name);
    if (name == "file") {
      file = std::move(part);
      break;  // S3 ignores what follows the file
    }
    // Names count too: many empty fields must not grow the map without bound.
    field_bytes += name.size();
    if (field_bytes > kMaxFieldBytes) {
      return Status::InvalidArgument(
                 "Your POST request fields preceding the upload file were "
                 "too large.")
          .WithS3Code("MaxPostPreDataLengthExceeded", 400);
    }
    FERRY_ASSIGN_OR_RETURN(std::string value, form.ReadAll(kMaxFieldBytes - field_bytes));
    field_bytes += value.size();
    if (!fields.emplace(name, std::move(value)).second) {
      return InvalidArgument("The form field " + name + " is given more than once");
    }
  }
  if (!file) return InvalidArgument("POST requires exactly one file upload per request.");
  if (!fields.contains("key")) {
    return InvalidArgument(
        "Bucket POST must contain a field named 'key'.  If it is specified, please check the "
        "order of the fields.");
  }
  // Who signed the form, and what it allows.
  std::optional<s3::PostPolicy> policy;
  if (fields.contains("policy")) {
    Result<s3::AuthContext> signer = Status::Internal("unsigned");
    if (fields.contains("x-amz-signature")) {
      signer = verifier.VerifyPostForm(
          Field(fields, "x-amz-algorithm"), Field(fields, "x-amz-credential"),
          Field(fields, "x-amz-date"), Field(fields, "policy"), Field(fields, "x-amz-signature"));
    } else if (fields.contains("signature") && fields.contains("awsaccesskeyid")) {
      signer = verifier.VerifyPostFormV2(Field(fields, "awsaccesskeyid"), Field(fields, "policy"),
                                         Field(fields, "signature"));
    } else {
      return InvalidArgument("Bucket POST must contain a field named 'x-amz-signature'.");
    }
    FERRY_RETURN_IF_ERROR(signer.status());
    FERRY_RETURN_IF_ERROR(authorize(*signer));
    FERRY_ASSIGN_OR_RETURN(policy, s3::ParsePostPolicy(Field(fields, "policy")));
    std::map<std::string, std::string> checked = fields;
    checked["bucket"] = req.bucket;
    FERRY_RETURN_IF_ERROR(s3::CheckPostFields(*policy, checked, op.options.clock->NowNanos()));
  } else {
    // An unsigned form may write only where AllUsers may.
    FERRY_RETURN_IF_ERROR(authorize(std::nullopt));
  }
  std::string key = Field(fields, "key");
  if (size_t at = key.find("${filename}"); at != std::string::npos) {
    key.replace(at, 11, file->filename);
  }
  FERRY_RETURN_IF_ERROR(s3::ValidateObjectKey(key));
  PutObjectRequest put;
  put.bucket = req.bucket;
  put.key = key;
  FERRY_ASSIGN_OR_RETURN(put.headers, HeadersOf(req, fields, file->content_type));
  FERRY_RETURN_IF_ERROR(ApplyObjectLock(op, put.headers));
  if (fields.contains("acl")) {
    FERRY_ASSIGN_OR_RETURN(s3::Acl acl, s3::CannedAcl(Field(fields, "acl")));
    FERRY_RETURN_IF_ERROR(op.access.CheckSettable(req, acl));
    put.headers.acl = s3::EncodeAcl(acl);
  }
  FERRY_ASSIGN_OR_RETURN(auto writer, op.store.PutObject(put));
  std::vector<char> buf(kChunk);
  uint64_t size = 0;
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(size_t n, form.Read(std::span<char>(buf.data(), buf.size())));
    if (n == 0) break;
    size += n;
    if (policy && size > policy->max_length) return s3::CheckPostLength(*policy, size);
    FERRY_RETURN_IF_ERROR(writer->Append(std::span<const char>(buf.data(), n)));
  }
  if (policy) FERRY_RETURN_IF_ERROR(s3::CheckPostLength(*policy, size));
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta, writer->Commit());
  return Answer(op, fields, key, meta);
}

}  // namespace ferry::server
