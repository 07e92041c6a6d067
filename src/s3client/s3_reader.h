// The ObjectReader of S3Store.
//
// Opening costs one request for a small object: a GET of the first prefetch_bytes
// (Range: bytes=0-N) answers metadata and data together. Reads past that range are ranged GETs
// pinned to the opened version with If-Match: <etag>, so a reader never mixes two versions: if
// the object was overwritten, ReadAt fails with PreconditionFailed ("object changed"). A GET
// whose body is cut short is retried from the byte it reached (the retry policy counts and
// waits). Small reads past the prefetched range fetch read_window bytes at once and serve the
// following sequential reads from memory; large reads go straight into the caller's buffer.
//
// Integrity (verify_downloads): an object that arrives whole with the first GET is checked
// against its full-object checksum or, for a single-part upload, its MD5 ETag, before Open
// returns (a mismatch is retried, then Corruption). Larger objects read sequentially from
// offset 0 to the end are checked the same way as the bytes go by (the checksum comes from one
// pinned HEAD); the read that completes the object fails with Corruption on a mismatch.
// Out-of-order (parallel) reads are not checked. (A ranged GET carries no full-object
// checksum, so meta().checksum is set only for objects larger than the prefetch, from that
// HEAD; HeadObject always has it.)
//
// ReadAt may be called from several threads at once.
#pragma once

#include <memory>
#include <string_view>

#include "ferry/object_store.h"
#include "s3client/s3_transport.h"

namespace ferry {

// REQUIRES: transport outlives the reader. With a size hint no larger than the prefetch, the
// first GET asks for the whole object without a Range, so the server can send the object's
// checksum along (servers leave it out of ranged answers) and a small body is checked with it
// (CRC32C is ~20× cheaper than MD5) rather than with the MD5 ETag.
Result<std::unique_ptr<ObjectReader>> OpenS3Object(S3Transport& transport, std::string_view bucket,
                                                   std::string_view key,
                                                   const OpenHints& hints = {},
                                                   std::string_view version_id = {});

// Checks data, the whole body of meta's object, against meta's full-object checksum or its
// single-part MD5 ETag (etag_is_md5: the server's ETag is the MD5 of the body, e.g. not under
// SSE-KMS). OK when there is nothing to check against; Corruption (retryable) on a mismatch.
Status VerifyWholeObject(const ObjectMeta& meta, bool etag_is_md5, std::string_view data,
                         std::string_view what);

}  // namespace ferry
