// AWS Signature Version 2 for S3 ("Signing and authenticating REST requests"), which older
// clients still send: boto3 presigns URLs and POST forms with it unless told otherwise, and
// s3cmd signs with it when asked. The string to sign is the method, Content-MD5, Content-Type,
// the date (the Date header; empty when x-amz-date is sent; the Expires time of a presigned
// URL), the x-amz-* headers and the resource (the bucket, the path, and the sub-resources
// S3 lists); the signature is base64 HMAC-SHA1 of it. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "s3/sigv4.h"

namespace ferry::s3 {

// "/bucket/key?acl&versionId=v": virtual_host_bucket (the bucket a Host header named, empty
// for path-style requests) before the raw path, then the signed sub-resources of raw_query,
// sorted, values decoded.
std::string V2CanonicalResource(std::string_view virtual_host_bucket, std::string_view raw_path,
                                std::string_view raw_query);

// The resources a client may have signed for this request, the standard one first. botocore
// signs its operation's URI template instead of the path: a request for a bucket as
// "/bucket/", and a template's own query ("/bucket?list-type=2") before its "?" and the
// sub-resources.
std::vector<std::string> V2SignedResources(std::string_view virtual_host_bucket,
                                           std::string_view raw_path, std::string_view raw_query);

// The x-amz-* headers, lower-case, sorted, repeated ones joined with ',', each line ending
// with '\n'.
std::string V2CanonicalAmzHeaders(const HeaderList& headers);

std::string V2StringToSign(std::string_view method, const HeaderList& headers,
                           std::string_view date_line, std::string_view canonical_resource);

// base64(HMAC-SHA1(secret, text)).
std::string V2Signature(std::string_view secret, std::string_view text);

}  // namespace ferry::s3
