// Parsers of the XML request bodies S3 accepts. Element names are matched without namespace
// prefixes and regardless of the xmlns the client declared; unknown elements are ignored.
// Malformed XML, a wrong root element or missing required elements give MalformedXML (400);
// no exception escapes. Entities beyond the five predefined ones are never expanded. Pure
// functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/object_store.h"
#include "ferry/result.h"

namespace ferry::s3 {

// <CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"..."</ETag>
// [<ChecksumCRC32C>...</ChecksumCRC32C>]</Part>...</CompleteMultipartUpload>.
// At least one part; part numbers 1..10000; order is kept (the store checks it).
Result<std::vector<CompletedPart>> ParseCompleteMultipartUpload(std::string_view body);

inline constexpr size_t kMaxDeleteObjects = 1000;

struct DeleteObjectsRequest {
  bool quiet = false;
  std::vector<std::string> keys;         // in request order
  std::vector<std::string> version_ids;  // one per key; empty when the object named none
};
// <Delete><Quiet>true</Quiet><Object><Key>k</Key><VersionId>v</VersionId></Object>...
// </Delete>; 1..1000 objects.
Result<DeleteObjectsRequest> ParseDeleteObjects(std::string_view body);

// <VersioningConfiguration><Status>Enabled|Suspended</Status></...>: without a Status
// IllegalVersioningConfigurationException, another value MalformedXML.
Result<VersioningStatus> ParseVersioningConfiguration(std::string_view body);

// The LocationConstraint of a CreateBucket body; "" for an empty body or none given.
Result<std::string> ParseCreateBucketConfiguration(std::string_view body);

}  // namespace ferry::s3
