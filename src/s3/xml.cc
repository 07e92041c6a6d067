#include "s3/xml.h"

#include <pugixml.hpp>

#include "core/checksum.h"
#include "s3/errors.h"
#include "s3/http_date.h"
#include "s3/http_semantics.h"
#include "s3/restore.h"
#include "s3/uri.h"
#include "s3/xml_dom.h"

namespace ferry::s3 {
namespace {

// A document under construction with its root element.
class Doc {
 public:
  explicit Doc(const char* root_name, bool with_namespace = true)
      : root_(xml::NewRoot(doc_, root_name, with_namespace)) {}
  pugi::xml_node root() { return root_; }
  std::string Save() { return xml::Save(doc_); }

 private:
  pugi::xml_document doc_;
  pugi::xml_node root_;
};

pugi::xml_node Add(pugi::xml_node parent, const char* name, std::string_view value) {
  pugi::xml_node node = parent.append_child(name);
  std::string safe = XmlSafeText(value);
  node.text().set(safe.c_str());
  return node;
}

void Add(pugi::xml_node parent, const char* name, int64_t value) {
  parent.append_child(name).text().set(std::to_string(value).c_str());
}

void AddBool(pugi::xml_node parent, const char* name, bool value) {
  parent.append_child(name).text().set(value ? "true" : "false");
}

// Key-like fields: URL-encoded when the request asked for encoding-type=url.
void AddKey(pugi::xml_node parent, const char* name, std::string_view value, bool url) {
  Add(parent, name, url ? ListingUrlEncode(value) : std::string(value));
}

void AddOwner(pugi::xml_node parent, const char* name, const Owner& owner) {
  pugi::xml_node node = parent.append_child(name);
  Add(node, "ID", owner.id);
  Add(node, "DisplayName", owner.display_name);
}

std::string StorageClass(std::string_view s) {
  return s.empty() ? "STANDARD" : std::string(s);
}

// <ChecksumCRC32C>value</ChecksumCRC32C> (value-N for composite checksums) and, when
// with_type, <ChecksumType>COMPOSITE|FULL_OBJECT</ChecksumType>.
void AddChecksum(pugi::xml_node parent, const std::optional<ObjectChecksum>& checksum,
                 bool with_type) {
  if (!checksum || checksum->algorithm == ChecksumAlgorithm::kNone || checksum->value.empty()) {
    return;
  }
  std::string name = "Checksum" + std::string(ChecksumAlgorithmName(checksum->algorithm));
  std::string value = checksum->value;
  if (checksum->composite && checksum->parts > 0) value += "-" + std::to_string(checksum->parts);
  Add(parent, name.c_str(), value);
  if (with_type) Add(parent, "ChecksumType", checksum->composite ? "COMPOSITE" : "FULL_OBJECT");
}

pugi::xml_node AddContents(pugi::xml_node root, const ObjectMeta& o, bool url, const Owner* owner) {
  pugi::xml_node c = root.append_child("Contents");
  AddKey(c, "Key", o.key, url);
  Add(c, "LastModified", FormatIso8601(o.last_modified_ns));
  Add(c, "ETag", QuoteEtag(o.etag));
  if (o.checksum && o.checksum->algorithm != ChecksumAlgorithm::kNone) {
    Add(c, "ChecksumAlgorithm", ChecksumAlgorithmName(o.checksum->algorithm));
  }
  Add(c, "Size", static_cast<int64_t>(o.size));
  if (owner) AddOwner(c, "Owner", *owner);
  Add(c, "StorageClass", StorageClass(o.headers.storage_class));
  return c;
}

void AddCommonPrefixes(pugi::xml_node root, const std::vector<std::string>& prefixes, bool url) {
  for (const std::string& p : prefixes) {
    AddKey(root.append_child("CommonPrefixes"), "Prefix", p, url);
  }
}

}  // namespace

std::string ErrorXml(const Status& status, const ErrorDetails& details) {
  Status s3 = s3err::ToS3(status);
  Doc doc("Error", /*with_namespace=*/false);
  pugi::xml_node root = doc.root();
  Add(root, "Code", s3.s3_code());
  Add(root, "Message", s3.message());
  for (const auto& [name, value] : details.extra) Add(root, name.c_str(), value);
  if (!details.resource.empty()) Add(root, "Resource", details.resource);
  Add(root, "RequestId", details.request_id);
  if (!details.host_id.empty()) Add(root, "HostId", details.host_id);
  return doc.Save();
}

std::string ListBucketsXml(const Owner& owner, const std::vector<BucketInfo>& buckets) {
  Doc doc("ListAllMyBucketsResult");
  AddOwner(doc.root(), "Owner", owner);
  pugi::xml_node list = doc.root().append_child("Buckets");
  for (const BucketInfo& b : buckets) {
    pugi::xml_node node = list.append_child("Bucket");
    Add(node, "Name", b.name);
    Add(node, "CreationDate", FormatIso8601(b.created_ns));
  }
  return doc.Save();
}

std::string ListObjectsV2Xml(const ListObjectsV2Params& p, const ListObjectsPage& page,
                             const Owner& owner) {
  Doc doc("ListBucketResult");
  pugi::xml_node root = doc.root();
  const bool url = p.url_encoding;
  Add(root, "Name", p.bucket);
  AddKey(root, "Prefix", p.prefix, url);
  if (!p.delimiter.empty()) AddKey(root, "Delimiter", p.delimiter, url);
  Add(root, "MaxKeys", p.max_keys);
  Add(root, "KeyCount", static_cast<int64_t>(page.objects.size() + page.common_prefixes.size()));
  AddBool(root, "IsTruncated", page.truncated);
  if (url) Add(root, "EncodingType", "url");
  if (!p.continuation_token.empty()) Add(root, "ContinuationToken", p.continuation_token);
  if (page.truncated && !p.next_continuation_token.empty()) {
    Add(root, "NextContinuationToken", p.next_continuation_token);
  }
  if (!p.start_after.empty()) AddKey(root, "StartAfter", p.start_after, url);
  for (const ObjectMeta& o : page.objects) {
    pugi::xml_node c = AddContents(root, o, url, p.fetch_owner ? &owner : nullptr);
    const RestorePhase phase = p.restore_status_at_ns
                                   ? RestorePhaseAt(o.headers, *p.restore_status_at_ns)
                                   : RestorePhase::kNone;
    if (phase != RestorePhase::kNone) {
      pugi::xml_node r = c.append_child("RestoreStatus");
      AddBool(r, "IsRestoreInProgress", phase == RestorePhase::kOngoing);
      if (phase == RestorePhase::kRestored) {
        Add(r, "RestoreExpiryDate", FormatIso8601(o.headers.restore_expiry_ns));
      }
    }
  }
  AddCommonPrefixes(root, page.common_prefixes, url);
  return doc.Save();
}

std::string ListObjectsV1Xml(const ListObjectsV1Params& p, const ListObjectsPage& page,
                             const Owner& owner) {
  Doc doc("ListBucketResult");
  pugi::xml_node root = doc.root();
  const bool url = p.url_encoding;
  Add(root, "Name", p.bucket);
  AddKey(root, "Prefix", p.prefix, url);
  AddKey(root, "Marker", p.marker, url);
  if (page.truncated && !p.delimiter.empty()) AddKey(root, "NextMarker", page.last, url);
  Add(root, "MaxKeys", p.max_keys);
  if (!p.delimiter.empty()) AddKey(root, "Delimiter", p.delimiter, url);
  AddBool(root, "IsTruncated", page.truncated);
  if (url) Add(root, "EncodingType", "url");
  for (const ObjectMeta& o : page.objects) AddContents(root, o, url, &owner);
  AddCommonPrefixes(root, page.common_prefixes, url);
  return doc.Save();
}

std::string InitiateMultipartUploadXml(std::string_view bucket, std::string_view key,
                                       std::string_view upload_id) {
  Doc doc("InitiateMultipartUploadResult");
  Add(doc.root(), "Bucket", bucket);
  Add(doc.root(), "Key", key);
  Add(doc.root(), "UploadId", upload_id);
  return doc.Save();
}

std::string CompleteMultipartUploadXml(std::string_view location, std::string_view bucket,
                                       const ObjectMeta& object) {
  Doc doc("CompleteMultipartUploadResult");
  pugi::xml_node root = doc.root();
  Add(root, "Location", location);
  Add(root, "Bucket", bucket);
  Add(root, "Key", object.key);
  Add(root, "ETag", QuoteEtag(object.etag));
  AddChecksum(root, object.checksum, /*with_type=*/true);
  return doc.Save();
}

std::string CopyObjectResultXml(const ObjectMeta& object) {
  Doc doc("CopyObjectResult");
  Add(doc.root(), "LastModified", FormatIso8601(object.last_modified_ns));
  Add(doc.root(), "ETag", QuoteEtag(object.etag));
  AddChecksum(doc.root(), object.checksum, /*with_type=*/true);
  return doc.Save();
}

std::string CopyPartResultXml(const PartInfo& part) {
  Doc doc("CopyPartResult");
  Add(doc.root(), "LastModified", FormatIso8601(part.last_modified_ns));
  Add(doc.root(), "ETag", QuoteEtag(part.etag));
  AddChecksum(doc.root(), part.checksum, /*with_type=*/false);
  return doc.Save();
}

std::string ListPartsXml(std::string_view bucket, const ListPartsRequest& request,
                         const ListPartsResult& result, const Owner& owner) {
  Doc doc("ListPartsResult");
  pugi::xml_node root = doc.root();
  Add(root, "Bucket", bucket);
  Add(root, "Key", result.upload.key);
  Add(root, "UploadId", result.upload.upload_id);
  AddOwner(root, "Initiator", owner);
  AddOwner(root, "Owner", owner);
  Add(root, "StorageClass", StorageClass(result.upload.storage_class));
  Add(root, "PartNumberMarker", request.part_number_marker);
  if (result.truncated) Add(root, "NextPartNumberMarker", result.next_part_number_marker);
  Add(root, "MaxParts", request.max_parts);
  AddBool(root, "IsTruncated", result.truncated);
  if (result.checksum_algorithm != ChecksumAlgorithm::kNone) {
    Add(root, "ChecksumAlgorithm", ChecksumAlgorithmName(result.checksum_algorithm));
  }
  for (const PartInfo& part : result.parts) {
    pugi::xml_node node = root.append_child("Part");
    Add(node, "PartNumber", part.part_number);
    Add(node, "LastModified", FormatIso8601(part.last_modified_ns));
    Add(node, "ETag", QuoteEtag(part.etag));
    Add(node, "Size", static_cast<int64_t>(part.size));
    AddChecksum(node, part.checksum, /*with_type=*/false);
  }
  return doc.Save();
}

std::string ListMultipartUploadsXml(const ListUploadsRequest& request,
                                    const ListUploadsResult& result, const Owner& owner, bool url) {
  Doc doc("ListMultipartUploadsResult");
  pugi::xml_node root = doc.root();
  Add(root, "Bucket", request.bucket);
  AddKey(root, "KeyMarker", request.key_marker, url);
  Add(root, "UploadIdMarker", request.upload_id_marker);
  if (result.truncated) {
    AddKey(root, "NextKeyMarker", result.next_key_marker, url);
    Add(root, "NextUploadIdMarker", result.next_upload_id_marker);
  }
  AddKey(root, "Prefix", request.prefix, url);
  if (!request.delimiter.empty()) AddKey(root, "Delimiter", request.delimiter, url);
  Add(root, "MaxUploads", request.max_uploads);
  AddBool(root, "IsTruncated", result.truncated);
  if (url) Add(root, "EncodingType", "url");
  for (const MultipartUploadInfo& u : result.uploads) {
    pugi::xml_node node = root.append_child("Upload");
    AddKey(node, "Key", u.key, url);
    Add(node, "UploadId", u.upload_id);
    AddOwner(node, "Initiator", owner);
    AddOwner(node, "Owner", owner);
    Add(node, "StorageClass", StorageClass(u.storage_class));
    Add(node, "Initiated", FormatIso8601(u.initiated_ns));
  }
  AddCommonPrefixes(root, result.common_prefixes, url);
  return doc.Save();
}

std::string DeleteResultXml(const std::vector<DeleteOutcome>& outcomes, bool quiet) {
  Doc doc("DeleteResult");
  for (const DeleteOutcome& o : outcomes) {
    if (o.status.ok()) {
      if (quiet) continue;
      pugi::xml_node node = doc.root().append_child("Deleted");
      Add(node, "Key", o.key);
      if (!o.version_id.empty()) Add(node, "VersionId", o.version_id);
      if (o.delete_marker) {
        AddBool(node, "DeleteMarker", true);
        Add(node, "DeleteMarkerVersionId", o.marker_version_id);
      }
      continue;
    }
    Status s3 = s3err::ToS3(o.status);
    pugi::xml_node node = doc.root().append_child("Error");
    Add(node, "Key", o.key);
    if (!o.version_id.empty()) Add(node, "VersionId", o.version_id);
    Add(node, "Code", s3.s3_code());
    Add(node, "Message", s3.message());
  }
  return doc.Save();
}

std::string LocationConstraintXml(std::string_view region) {
  Doc doc("LocationConstraint");
  if (region != "us-east-1" && !region.empty()) {
    std::string safe = XmlSafeText(region);
    doc.root().text().set(safe.c_str());
  }
  return doc.Save();
}

std::string VersioningConfigurationXml(VersioningStatus status) {
  Doc doc("VersioningConfiguration");
  if (status != VersioningStatus::kUnversioned) {
    Add(doc.root(), "Status", status == VersioningStatus::kEnabled ? "Enabled" : "Suspended");
  }
  return doc.Save();
}

std::string ListVersionsXml(const ListVersionsParams& p, const ListVersionsPage& page,
                            const Owner& owner) {
  Doc doc("ListVersionsResult");
  pugi::xml_node root = doc.root();
  const bool url = p.url_encoding;
  Add(root, "Name", p.bucket);
  AddKey(root, "Prefix", p.prefix, url);
  AddKey(root, "KeyMarker", p.key_marker, url);
  Add(root, "VersionIdMarker", p.version_id_marker);
  if (page.truncated) {
    AddKey(root, "NextKeyMarker", page.next_key_marker, url);
    if (!page.next_version_id_marker.empty()) {
      Add(root, "NextVersionIdMarker", page.next_version_id_marker);
    }
  }
  Add(root, "MaxKeys", p.max_keys);
  if (!p.delimiter.empty()) AddKey(root, "Delimiter", p.delimiter, url);
  if (url) Add(root, "EncodingType", "url");
  AddBool(root, "IsTruncated", page.truncated);
  for (const ObjectVersion& v : page.versions) {
    const ObjectMeta& o = v.meta;
    pugi::xml_node e = root.append_child(o.delete_marker ? "DeleteMarker" : "Version");
    AddKey(e, "Key", o.key, url);
    Add(e, "VersionId", o.version_id.empty() ? "null" : o.version_id);
    AddBool(e, "IsLatest", v.is_latest);
    Add(e, "LastModified", FormatIso8601(o.last_modified_ns));
    if (!o.delete_marker) {
      Add(e, "ETag", QuoteEtag(o.etag));
      Add(e, "Size", static_cast<int64_t>(o.size));
    }
    AddOwner(e, "Owner", owner);
    if (!o.delete_marker) Add(e, "StorageClass", StorageClass(o.headers.storage_class));
  }
  AddCommonPrefixes(root, page.common_prefixes, url);
  return doc.Save();
}

std::string GetObjectAttributesXml(const ObjectMeta& object, const ObjectAttributesSelection& sel) {
  Doc doc("GetObjectAttributesResponse");
  pugi::xml_node root = doc.root();
  if (sel.etag) Add(root, "ETag", UnquoteEtag(object.etag));
  if (sel.checksum && object.checksum && !object.checksum->value.empty()) {
    AddChecksum(root.append_child("Checksum"), object.checksum, /*with_type=*/true);
  }
  if (sel.object_parts && object.parts_count > 0) {
    pugi::xml_node parts = root.append_child("ObjectParts");
    Add(parts, "PartsCount", object.parts_count);  // TotalPartsCount on the wire
    Add(parts, "PartNumberMarker", sel.part_number_marker);
    const int total = static_cast<int>(object.part_sizes.size());
    const int first = std::max(sel.part_number_marker, 0);
    const int last = std::min(total, first + std::max(sel.max_parts, 0));
    const bool truncated = last < total;
    if (truncated) Add(parts, "NextPartNumberMarker", last);
    Add(parts, "MaxParts", sel.max_parts);
    AddBool(parts, "IsTruncated", truncated);
    for (int i = first; i < last; ++i) {
      pugi::xml_node part = parts.append_child("Part");
      Add(part, "PartNumber", i + 1);
      Add(part, "Size", static_cast<int64_t>(object.part_sizes[i]));
    }
  }
  if (sel.storage_class) Add(root, "StorageClass", StorageClass(object.headers.storage_class));
  if (sel.object_size) Add(root, "ObjectSize", static_cast<int64_t>(object.size));
  return doc.Save();
}

}  // namespace ferry::s3
