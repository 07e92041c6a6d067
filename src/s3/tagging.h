// S3 object and bucket tags: the x-amz-tagging header (URL query form), the <Tagging> XML
// document, and S3's limits on both. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/result.h"

namespace ferry::s3 {

using Tags = std::vector<std::pair<std::string, std::string>>;

inline constexpr size_t kMaxObjectTags = 10;
inline constexpr size_t kMaxBucketTags = 50;

// "k1=v1&k2=v2", percent-encoded UTF-8 ('+' is a space, as in form encoding); a name without
// '=' has an empty value. A repeated name or a bad escape is InvalidArgument.
Result<Tags> ParseTaggingHeader(std::string_view header);
// The header form of tags, for a client sending them.
std::string TaggingHeader(const Tags& tags);

// <Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging>.
Result<Tags> ParseTaggingXml(std::string_view body);
std::string TaggingXml(const Tags& tags);

// S3's rules: at most max_tags (BadRequest), keys of 1..128 and values of 0..256 characters
// of letters, digits, white space and _ . : / = + - @ (InvalidTag), no key twice, none
// starting with "aws:".
Status ValidateTags(const Tags& tags, size_t max_tags);

}  // namespace ferry::s3
