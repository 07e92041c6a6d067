// Object headers on the S3 wire, client side: the request headers that store ObjectHeaders
// (Content-Type, Content-*, Cache-Control, Expires, x-amz-meta-*, x-amz-storage-class), and
// the ObjectMeta an answer to GET/HEAD describes (ETag, size, Last-Modified, user metadata,
// storage class, additional checksum, x-amz-mp-parts-count). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "ferry/object_store.h"
#include "http/headers.h"
#include "s3/sigv4.h"
#include "s3/http_semantics.h"

namespace ferry {

// Appends the headers that store h with an object. REPLACE-style: every field is sent.
void AppendObjectHeaders(const ObjectHeaders& h, s3::HeaderList& out);

// "bytes 0-9/100" → {0, 9, 100}; "bytes */100" → {0, 0, 100} with unsatisfied set.
struct ContentRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t total = 0;
  bool unsatisfied = false;
};
std::optional<ContentRange> ParseContentRange(std::string_view value);

// The additional checksum an answer carries (x-amz-checksum-<algorithm>, with
// x-amz-checksum-type), if any.
std::optional<ObjectChecksum> ChecksumFromHeaders(const http::Headers& h);

// The object an answer to GET or HEAD describes. size: the total of Content-Range when
// present, else Content-Length. part_sizes stays empty.
ObjectMeta ObjectMetaFromHeaders(std::string_view key, const http::Headers& h);

}  // namespace ferry
