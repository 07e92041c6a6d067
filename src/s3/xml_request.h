// Client side of the S3 XML protocol: the request bodies a client sends (the server side
// parses them in xml_parse.h). Each returns a complete document with the XML declaration, in
// the S3 namespace. Text is escaped; it must be valid XML 1.0 text (keys with control
// characters cannot travel in these bodies: see XmlSafeText in xml.h). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/object_store.h"

namespace ferry::s3 {

// <CompleteMultipartUpload><Part><PartNumber/><ETag>"quoted"</ETag>[<ChecksumXXX/>]</Part>...
// algorithm names the checksum element used for parts whose checksum is set.
std::string CompleteMultipartUploadRequestXml(const std::vector<CompletedPart>& parts,
                                              ChecksumAlgorithm algorithm);

// <Delete><Quiet>true|false</Quiet><Object><Key/></Object>...</Delete>.
std::string DeleteObjectsRequestXml(const std::vector<std::string>& keys, bool quiet);

// <CreateBucketConfiguration><LocationConstraint/></...>; empty for "" and us-east-1, where S3
// wants no body.
std::string CreateBucketConfigurationXml(std::string_view region);

// True when text can travel in an XML 1.0 body unchanged (valid UTF-8, no control characters
// other than tab, LF; CR is written as a reference).
bool IsXmlSafe(std::string_view text);

}  // namespace ferry::s3
