// Builders of the XML bodies S3 answers with. Each returns a complete document:
// <?xml version="1.0" encoding="UTF-8"?> then the root element in the S3 namespace
// (http://s3.amazonaws.com/doc/2006-03-01/), except Error, which S3 sends without one.
//
// Output is always well-formed XML 1.0: &, <, > are escaped, '\r' is written as "&#13;" so it
// survives parsing, and characters XML 1.0 cannot carry at all (control characters other than
// tab, LF, CR; U+FFFE/U+FFFF; invalid UTF-8) are replaced by U+FFFD. S3 itself writes them as
// "&#x1;"-style references that strict parsers reject; clients that store such keys list with
// encoding-type=url, which these builders honour like S3 (ListingUrlEncode on Key, Prefix,
// Delimiter, StartAfter, Marker, NextMarker, KeyMarker, NextKeyMarker, CommonPrefixes).
// ETags are quoted in every body except GetObjectAttributes, as in S3. Times are ISO 8601
// with milliseconds. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/object_store.h"
#include "ferry/status.h"

namespace ferry::s3 {

inline constexpr std::string_view kS3XmlNamespace = "http://s3.amazonaws.com/doc/2006-03-01/";

struct Owner {
  std::string id;
  std::string display_name;
};

struct ErrorDetails {
  std::string resource;  // e.g. "/bucket/key"; omitted when empty
  std::string request_id;
  std::string host_id;  // omitted when empty
  // Extra elements after Message, in order: {"Key", "a/b"}, {"BucketName", "b"}, ...
  std::vector<std::pair<std::string, std::string>> extra;
};
// <Error><Code/><Message/>...extra...<Resource/><RequestId/><HostId/></Error>; a status
// without an S3 code is mapped with s3err::ToS3.
std::string ErrorXml(const Status& status, const ErrorDetails& details);

std::string ListBucketsXml(const Owner& owner, const std::vector<BucketInfo>& buckets);

struct ListObjectsV2Params {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string start_after;
  std::string continuation_token;       // as the client sent it
  std::string next_continuation_token;  // written when the page is truncated
  int max_keys = 1000;
  bool url_encoding = false;  // encoding-type=url
  bool fetch_owner = false;
  // x-amz-optional-object-attributes: RestoreStatus: each restored or restoring archived
  // object's state as of this time.
  std::optional<int64_t> restore_status_at_ns;
};
std::string ListObjectsV2Xml(const ListObjectsV2Params& params, const ListObjectsPage& page,
                             const Owner& owner);

struct ListObjectsV1Params {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string marker;
  int max_keys = 1000;
  bool url_encoding = false;
};
// NextMarker (page.last) is written only when truncated and a delimiter was given, as S3.
std::string ListObjectsV1Xml(const ListObjectsV1Params& params, const ListObjectsPage& page,
                             const Owner& owner);

std::string InitiateMultipartUploadXml(std::string_view bucket, std::string_view key,
                                       std::string_view upload_id);
// location: the object's URL, e.g. "http://host/bucket/key".
std::string CompleteMultipartUploadXml(std::string_view location, std::string_view bucket,
                                       const ObjectMeta& object);
std::string CopyObjectResultXml(const ObjectMeta& object);
std::string CopyPartResultXml(const PartInfo& part);

std::string ListPartsXml(std::string_view bucket, const ListPartsRequest& request,
                         const ListPartsResult& result, const Owner& owner);
std::string ListMultipartUploadsXml(const ListUploadsRequest& request,
                                    const ListUploadsResult& result, const Owner& owner,
                                    bool url_encoding);

struct DeleteOutcome {
  std::string key;
  Status status;                  // OK: deleted; else an <Error> entry with its S3 code
  std::string version_id;         // the version the request named
  bool delete_marker = false;     // a delete marker was made or removed ...
  std::string marker_version_id;  // ... with this id
};
// Quiet mode lists only the failures.
std::string DeleteResultXml(const std::vector<DeleteOutcome>& outcomes, bool quiet);

// Empty for us-east-1, as S3 answers.
std::string LocationConstraintXml(std::string_view region);
// Versioning never enabled: an empty configuration.
std::string VersioningConfigurationXml(VersioningStatus status);

struct ListVersionsParams {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string key_marker;
  std::string version_id_marker;
  int max_keys = 1000;
  bool url_encoding = false;
};
std::string ListVersionsXml(const ListVersionsParams& params, const ListVersionsPage& page,
                            const Owner& owner);

struct ObjectAttributesSelection {
  bool etag = false;
  bool checksum = false;
  bool object_parts = false;
  bool storage_class = false;
  bool object_size = false;
  int max_parts = 1000;
  int part_number_marker = 0;
};
std::string GetObjectAttributesXml(const ObjectMeta& object,
                                   const ObjectAttributesSelection& selection);

// Text made safe for XML 1.0 as described above (before escaping).
std::string XmlSafeText(std::string_view text);

}  // namespace ferry::s3
