// S3 Block Public Access for a bucket: the <PublicAccessBlockConfiguration> document, and the
// <PolicyStatus> answer. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "ferry/result.h"

namespace ferry::s3 {

struct PublicAccessBlock {
  bool block_public_acls = false;        // refuse requests that set a public ACL
  bool ignore_public_acls = false;       // public grants allow nothing
  bool block_public_policy = false;      // refuse public bucket policies (ferry has none)
  bool restrict_public_buckets = false;  // public policies allow only the owner (ditto)

  bool operator==(const PublicAccessBlock&) const = default;
};

// MalformedXML for another root element or a value other than true/false; absent elements
// are false, as in S3.
Result<PublicAccessBlock> ParsePublicAccessBlock(std::string_view body);
std::string PublicAccessBlockXml(const PublicAccessBlock& block);

std::string PolicyStatusXml(bool is_public);

}  // namespace ferry::s3
