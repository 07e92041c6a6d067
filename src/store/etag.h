// What an ETag says about an object's bytes, whichever store gave it.
#pragma once

#include <string_view>

namespace ferry {

// True when etag (unquoted) is a plain hex MD5 (32 hex digits, no "-N" suffix): the ETag of
// a single-part upload on S3, which is the MD5 of the body.
bool IsMd5Etag(std::string_view etag);

// The ETag without the double quotes clients may put around it.
std::string_view StripQuotes(std::string_view etag);

}  // namespace ferry
