#include "s3/xml_response.h"

#include "s3/xml_dom.h"

#include <charconv>

#include <pugixml.hpp>

#include "core/checksum.h"
#include "s3/http_date.h"
#include "s3/http_semantics.h"
#include "s3/restore.h"

namespace ferry::s3 {
namespace {

using xml::Child;
using xml::Children;
using xml::LocalName;
using xml::Text;
using xml::TrimWs;

Status Malformed(std::string_view what) {
  return Status::Corruption("malformed S3 response: " + std::string(what));
}

std::string ChildText(pugi::xml_node parent, std::string_view name) {
  pugi::xml_node c = Child(parent, name);
  return c ? Text(c) : std::string();
}

// An element's text without surrounding whitespace; empty for no element.
std::string TrimmedText(pugi::xml_node node) {
  return node ? std::string(TrimWs(Text(node))) : std::string();
}

std::string ChildTrimmed(pugi::xml_node parent, std::string_view name) {
  return TrimmedText(Child(parent, name));
}

// An element's whole text as a number; fallback for no element or anything else.
template <typename T>
T NumberOf(pugi::xml_node node, T fallback = 0) {
  std::string text = TrimmedText(node);
  T v{};
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) return fallback;
  return v;
}

template <typename T>
T ChildNumber(pugi::xml_node parent, std::string_view name, T fallback = 0) {
  return NumberOf<T>(Child(parent, name), fallback);
}

bool ChildBool(pugi::xml_node parent, std::string_view name) {
  std::string v = ChildTrimmed(parent, name);
  return v == "true" || v == "True" || v == "TRUE";
}

int64_t TimeOf(pugi::xml_node node) {
  return ParseIso8601(TrimmedText(node)).value_or(0);
}

int64_t ChildTime(pugi::xml_node parent, std::string_view name) {
  return TimeOf(Child(parent, name));
}

std::string EtagOf(pugi::xml_node node) {
  return std::string(UnquoteEtag(TrimmedText(node)));
}

std::string ChildEtag(pugi::xml_node parent) {
  return EtagOf(Child(parent, "ETag"));
}

// The first ChecksumCRC32C/... child, with ChecksumType when present.
std::optional<ObjectChecksum> ChildChecksum(pugi::xml_node parent) {
  std::string type = ChildTrimmed(parent, "ChecksumType");
  for (pugi::xml_node child : parent.children()) {
    if (child.type() != pugi::node_element) continue;
    std::string_view name = LocalName(child);
    if (!name.starts_with("Checksum") || name == "ChecksumType" || name == "ChecksumAlgorithm") {
      continue;
    }
    auto algorithm = ParseChecksumAlgorithm(name.substr(8));
    if (!algorithm) continue;
    std::string value(TrimWs(Text(child)));
    if (value.empty()) continue;
    return ParseChecksumValue(*algorithm, value, type);
  }
  return std::nullopt;
}

Result<pugi::xml_node> Load(pugi::xml_document& doc, std::string_view body) {
  const unsigned options = pugi::parse_default | pugi::parse_ws_pcdata_single;
  pugi::xml_parse_result parsed =
      doc.load_buffer(body.data(), body.size(), options, pugi::encoding_utf8);
  if (!parsed) return Malformed(std::string("XML: ") + parsed.description());
  pugi::xml_node root = doc.document_element();
  if (!root) return Malformed("no root element");
  return root;
}

ErrorResponse ErrorFrom(pugi::xml_node node) {
  ErrorResponse e;
  e.code = ChildTrimmed(node, "Code");
  e.message = ChildText(node, "Message");
  e.resource = ChildText(node, "Resource");
  e.request_id = ChildTrimmed(node, "RequestId");
  e.key = ChildText(node, "Key");
  return e;
}

// Parses body expecting root `name`; an <Error> root becomes its status.
Result<pugi::xml_node> LoadResult(pugi::xml_document& doc, std::string_view body,
                                  std::string_view name, std::string_view alt = {}) {
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root, Load(doc, body));
  std::string_view root_name = LocalName(root);
  if (root_name == name || (!alt.empty() && root_name == alt)) return root;
  if (root_name == "Error") return StatusFromErrorResponse(200, ErrorFrom(root));
  return Malformed("expected <" + std::string(name) + ">, got <" + std::string(root_name) + ">");
}

// Decodes a key-like field when the listing is URL-encoded.
Result<std::string> KeyField(std::string text, bool url) {
  if (!url) return text;
  auto decoded = ListingUrlDecode(text);
  if (!decoded) return Malformed("bad URL encoding in listing: " + text);
  return std::move(*decoded);
}

Result<std::string> ChildKey(pugi::xml_node parent, std::string_view name, bool url) {
  return KeyField(ChildText(parent, name), url);
}

// One <Contents> of a ListObjectsV2 answer, read in one pass over its fields (a page holds a
// thousand; looking each field up by name would walk every field seven times). The first of
// a field given twice counts, as for the other documents.
Result<ObjectMeta> ListedObject(pugi::xml_node node, bool url) {
  ObjectMeta o;
  pugi::xml_node key, size, etag, last_modified, storage_class, restore, algorithm;
  for (pugi::xml_node field : node.children()) {
    if (field.type() != pugi::node_element) continue;
    const std::string_view name = LocalName(field);
    pugi::xml_node* slot = name == "Key"                 ? &key
                           : name == "Size"              ? &size
                           : name == "ETag"              ? &etag
                           : name == "LastModified"      ? &last_modified
                           : name == "StorageClass"      ? &storage_class
                           : name == "RestoreStatus"     ? &restore
                           : name == "ChecksumAlgorithm" ? &algorithm
                                                         : nullptr;
    if (slot && !*slot) *slot = field;
  }
  if (key) {
    FERRY_ASSIGN_OR_RETURN(o.key, KeyField(Text(key), url));
  }
  if (o.key.empty()) return Malformed("<Contents> without <Key>");
  o.size = NumberOf<uint64_t>(size);
  o.etag = EtagOf(etag);
  o.last_modified_ns = TimeOf(last_modified);
  std::string storage = TrimmedText(storage_class);
  if (storage != "STANDARD") o.headers.storage_class = std::move(storage);
  if (restore) {
    if (ChildBool(restore, "IsRestoreInProgress")) {
      SetToldRestore(o.headers, true, 0);
    } else if (int64_t expiry = ChildTime(restore, "RestoreExpiryDate"); expiry > 0) {
      SetToldRestore(o.headers, false, expiry);
    }
  }
  if (auto alg = ParseChecksumAlgorithm(TrimmedText(algorithm))) {
    o.checksum = ObjectChecksum{*alg, ""};
  }
  auto dash = o.etag.rfind('-');
  if (dash != std::string::npos) o.parts_count = std::atoi(o.etag.c_str() + dash + 1);
  return o;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool IsErrorDocument(std::string_view body) {
  pugi::xml_document doc;
  auto root = Load(doc, body);
  return root.ok() && LocalName(*root) == "Error";
}

Result<ErrorResponse> ParseErrorResponse(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root, Load(doc, body));
  if (LocalName(root) != "Error") return Malformed("expected <Error>");
  return ErrorFrom(root);
}

ObjectChecksum ParseChecksumValue(ChecksumAlgorithm algorithm, std::string_view value,
                                  std::string_view checksum_type) {
  ObjectChecksum c;
  c.algorithm = algorithm;
  c.value = std::string(value);
  auto dash = value.rfind('-');
  if (dash != std::string_view::npos) {
    int parts = 0;
    std::string_view n = value.substr(dash + 1);
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), parts);
    if (ec == std::errc() && p == n.data() + n.size() && !n.empty()) {
      c.value = std::string(value.substr(0, dash));
      c.composite = true;
      c.parts = parts;
    }
  }
  if (checksum_type == "COMPOSITE") c.composite = true;
  return c;
}

std::optional<std::string> ListingUrlDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::vector<BucketInfo>> ParseListBucketsResult(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root, LoadResult(doc, body, "ListAllMyBucketsResult"));
  std::vector<BucketInfo> out;
  for (pugi::xml_node bucket : Children(Child(root, "Buckets"), "Bucket")) {
    BucketInfo info;
    info.name = ChildTrimmed(bucket, "Name");
    info.created_ns = ChildTime(bucket, "CreationDate");
    if (info.name.empty()) return Malformed("bucket without <Name>");
    out.push_back(std::move(info));
  }
  return out;
}

Result<ListObjectsV2Result> ParseListObjectsV2Result(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root, LoadResult(doc, body, "ListBucketResult"));
  ListObjectsV2Result r;
  r.url_encoded = ChildTrimmed(root, "EncodingType") == "url";
  const bool url = r.url_encoded;
  FERRY_ASSIGN_OR_RETURN(r.prefix, ChildKey(root, "Prefix", url));
  FERRY_ASSIGN_OR_RETURN(r.delimiter, ChildKey(root, "Delimiter", url));
  FERRY_ASSIGN_OR_RETURN(r.start_after, ChildKey(root, "StartAfter", url));
  FERRY_ASSIGN_OR_RETURN(r.next_marker, ChildKey(root, "NextMarker", url));
  r.continuation_token = ChildTrimmed(root, "ContinuationToken");
  r.next_continuation_token = ChildTrimmed(root, "NextContinuationToken");
  r.max_keys = ChildNumber<int>(root, "MaxKeys");
  r.key_count = ChildNumber<int>(root, "KeyCount");
  r.page.truncated = ChildBool(root, "IsTruncated");
  for (pugi::xml_node node : Children(root, "Contents")) {
    FERRY_ASSIGN_OR_RETURN(ObjectMeta o, ListedObject(node, url));
    r.page.objects.push_back(std::move(o));
  }
  for (pugi::xml_node node : Children(root, "CommonPrefixes")) {
    FERRY_ASSIGN_OR_RETURN(std::string prefix, ChildKey(node, "Prefix", url));
    r.page.common_prefixes.push_back(std::move(prefix));
  }
  // Keys and common prefixes interleave in listing order; the page ends at the greater.
  std::string last_key = r.page.objects.empty() ? std::string() : r.page.objects.back().key;
  std::string last_prefix =
      r.page.common_prefixes.empty() ? std::string() : r.page.common_prefixes.back();
  r.page.last = std::max(last_key, last_prefix);
  return r;
}

Result<ListVersionsPage> ParseListVersionsResult(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root, LoadResult(doc, body, "ListVersionsResult"));
  ListVersionsPage page;
  const bool url = ChildTrimmed(root, "EncodingType") == "url";
  page.truncated = ChildBool(root, "IsTruncated");
  FERRY_ASSIGN_OR_RETURN(page.next_key_marker, ChildKey(root, "NextKeyMarker", url));
  page.next_version_id_marker = ChildTrimmed(root, "NextVersionIdMarker");
  for (pugi::xml_node node : root.children()) {
    std::string_view name = LocalName(node);
    if (name == "CommonPrefixes") {
      FERRY_ASSIGN_OR_RETURN(std::string prefix, ChildKey(node, "Prefix", url));
      page.common_prefixes.push_back(std::move(prefix));
      continue;
    }
    if (name != "Version" && name != "DeleteMarker") continue;
    ObjectVersion v;
    ObjectMeta& o = v.meta;
    FERRY_ASSIGN_OR_RETURN(o.key, ChildKey(node, "Key", url));
    if (o.key.empty()) return Malformed("<Version> without <Key>");
    o.version_id = ChildTrimmed(node, "VersionId");
    o.delete_marker = name == "DeleteMarker";
    o.last_modified_ns = ChildTime(node, "LastModified");
    v.is_latest = ChildBool(node, "IsLatest");
    if (!o.delete_marker) {
      o.size = ChildNumber<uint64_t>(node, "Size");
      o.etag = ChildEtag(node);
      std::string storage_class = ChildTrimmed(node, "StorageClass");
      if (storage_class != "STANDARD") o.headers.storage_class = storage_class;
    }
    page.versions.push_back(std::move(v));
  }
  return page;
}

Result<InitiateMultipartResult> ParseInitiateMultipartUploadResult(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root,
                         LoadResult(doc, body, "InitiateMultipartUploadResult"));
  InitiateMultipartResult r;
  r.bucket = ChildTrimmed(root, "Bucket");
  r.key = ChildText(root, "Key");
  r.upload_id = ChildTrimmed(root, "UploadId");
  if (r.upload_id.empty()) return Malformed("no <UploadId>");
  return r;
}

Result<CompleteMultipartResult> ParseCompleteMultipartUploadResult(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root,
                         LoadResult(doc, body, "CompleteMultipartUploadResult"));
  CompleteMultipartResult r;
  r.location = ChildTrimmed(root, "Location");
  r.bucket = ChildTrimmed(root, "Bucket");
  r.key = ChildText(root, "Key");
  r.etag = ChildEtag(root);
  r.checksum = ChildChecksum(root);
  // An empty ETag is left to the caller: Ceph RGW 16 answers <ETag></ETag> to uploads whose
  // parts carried checksums, and the object's ETag must then be read back.
  return r;
}

Result<CopyResult> ParseCopyObjectResult(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root, LoadResult(doc, body, "CopyObjectResult"));
  CopyResult r;
  r.etag = ChildEtag(root);
  r.last_modified_ns = ChildTime(root, "LastModified");
  r.checksum = ChildChecksum(root);
  if (r.etag.empty()) return Malformed("no <ETag> in CopyObjectResult");
  return r;
}

Result<CopyResult> ParseCopyPartResult(std::string_view body) {
  pugi::xml_document doc;
  // Some servers answer UploadPartCopy with a CopyObjectResult root.
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root,
                         LoadResult(doc, body, "CopyPartResult", "CopyObjectResult"));
  CopyResult r;
  r.etag = ChildEtag(root);
  r.last_modified_ns = ChildTime(root, "LastModified");
  r.checksum = ChildChecksum(root);
  if (r.etag.empty()) return Malformed("no <ETag> in CopyPartResult");
  return r;
}

Result<ListPartsResult> ParseListPartsResult(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root, LoadResult(doc, body, "ListPartsResult"));
  ListPartsResult r;
  r.upload.key = ChildText(root, "Key");
  r.upload.upload_id = ChildTrimmed(root, "UploadId");
  r.upload.storage_class = ChildTrimmed(root, "StorageClass");
  if (r.upload.storage_class == "STANDARD") r.upload.storage_class.clear();
  if (auto algorithm = ParseChecksumAlgorithm(ChildTrimmed(root, "ChecksumAlgorithm"))) {
    r.checksum_algorithm = *algorithm;
  }
  r.truncated = ChildBool(root, "IsTruncated");
  r.next_part_number_marker = ChildNumber<int>(root, "NextPartNumberMarker");
  for (pugi::xml_node node : Children(root, "Part")) {
    PartInfo p;
    p.part_number = ChildNumber<int>(node, "PartNumber");
    if (p.part_number <= 0) return Malformed("<Part> without a valid <PartNumber>");
    p.etag = ChildEtag(node);
    p.size = ChildNumber<uint64_t>(node, "Size");
    p.last_modified_ns = ChildTime(node, "LastModified");
    p.checksum = ChildChecksum(node);
    r.parts.push_back(std::move(p));
  }
  if (r.truncated && r.next_part_number_marker == 0 && !r.parts.empty()) {
    r.next_part_number_marker = r.parts.back().part_number;
  }
  return r;
}

Result<ListUploadsResult> ParseListMultipartUploadsResult(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root, LoadResult(doc, body, "ListMultipartUploadsResult"));
  ListUploadsResult r;
  const bool url = ChildTrimmed(root, "EncodingType") == "url";
  r.truncated = ChildBool(root, "IsTruncated");
  FERRY_ASSIGN_OR_RETURN(r.next_key_marker, ChildKey(root, "NextKeyMarker", url));
  r.next_upload_id_marker = ChildTrimmed(root, "NextUploadIdMarker");
  for (pugi::xml_node node : Children(root, "Upload")) {
    MultipartUploadInfo u;
    FERRY_ASSIGN_OR_RETURN(u.key, ChildKey(node, "Key", url));
    u.upload_id = ChildTrimmed(node, "UploadId");
    u.storage_class = ChildTrimmed(node, "StorageClass");
    if (u.storage_class == "STANDARD") u.storage_class.clear();
    u.initiated_ns = ChildTime(node, "Initiated");
    if (u.upload_id.empty()) return Malformed("<Upload> without <UploadId>");
    r.uploads.push_back(std::move(u));
  }
  for (pugi::xml_node node : Children(root, "CommonPrefixes")) {
    FERRY_ASSIGN_OR_RETURN(std::string prefix, ChildKey(node, "Prefix", url));
    r.common_prefixes.push_back(std::move(prefix));
  }
  return r;
}

Result<DeleteResultParsed> ParseDeleteResult(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root, LoadResult(doc, body, "DeleteResult"));
  DeleteResultParsed r;
  for (pugi::xml_node node : Children(root, "Deleted")) r.deleted.push_back(ChildText(node, "Key"));
  for (pugi::xml_node node : Children(root, "Error")) r.errors.push_back(ErrorFrom(node));
  return r;
}

}  // namespace ferry::s3
