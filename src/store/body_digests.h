// The checks S3 makes of a received body against the digests its sender declared, shared by
// the stores that verify bodies themselves (LocalStore, MemoryStore) so that they fail alike.
#pragma once

#include <string_view>

#include "ferry/object_store.h"

namespace ferry {

// Content-MD5 (base64) against the body's raw MD5: InvalidDigest when it is not base64 of 16
// bytes, BadDigest when it differs.
Status CheckContentMd5(std::string_view content_md5, std::string_view body_md5);

// An additional checksum against the body's raw digest of its algorithm: InvalidRequest for
// a malformed value, BadDigest for a mismatch (an empty value asks for it to be computed).
// Returns the checksum to store.
Result<ObjectChecksum> CheckChecksum(const ObjectChecksum& expected, std::string_view digest);

}  // namespace ferry
