// The listing index file: every object under a prefix with what a listing says of it (size,
// ETag, Last-Modified, storage class) and its POSIX metadata, sorted by key, in blocks that
// are each compressed and checksummed, so a reader needs one ranged read for the trailer and
// footer and one per block it wants (like an SSTable). doc/INDEX.md describes the bytes.
// Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/result.h"
#include "s3/posix_meta.h"

namespace ferry::index {

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kTrailerSize = 32;

struct IndexEntry {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // no quotes
  int64_t last_modified_ns = 0;
  std::string storage_class;  // empty: STANDARD
  // The object's x-amz-meta-file-* attributes; metadata_known says they were read (an object
  // without any has them all empty), not left out to save a HEAD.
  bool metadata_known = false;
  s3::PosixAttributes posix;
  bool operator==(const IndexEntry& o) const;
};

// What the whole index describes.
struct IndexInfo {
  std::string bucket;
  std::string prefix;       // every key starts with it
  std::string endpoint;     // the store it was listed from (StoreInfo::endpoint_id), for messages
  int64_t built_at_ns = 0;  // when its listing began: objects changed later may be missing
  uint64_t entries = 0;
};

struct BlockHandle {
  uint64_t offset = 0;
  uint32_t length = 0;      // compressed bytes in the file
  uint32_t raw_length = 0;  // after decompression
  uint32_t entries = 0;
  uint32_t crc32c = 0;  // of the compressed bytes
  std::string first_key;
  std::string last_key;
};

struct Footer {
  IndexInfo info;
  std::vector<BlockHandle> blocks;
};

struct Trailer {
  uint64_t footer_offset = 0;
  uint32_t footer_length = 0;
  uint32_t footer_crc32c = 0;
  uint32_t format_version = 0;
};

std::string EncodeHeader();
// Corruption for bytes that are not an index's header; NotImplemented for a newer format.
Status CheckHeader(std::string_view bytes);

std::string EncodeTrailer(const Trailer& trailer);
Result<Trailer> DecodeTrailer(std::string_view bytes);

std::string EncodeFooter(const Footer& footer);
Result<Footer> DecodeFooter(std::string_view bytes);

// A block's entries, key-prefix compressed, before compression.
std::string EncodeEntries(std::span<const IndexEntry> entries);
Result<std::vector<IndexEntry>> DecodeEntries(std::string_view raw, uint32_t count);

std::string Compress(std::string_view raw);
Result<std::string> Uncompress(std::string_view compressed, uint32_t raw_length);

}  // namespace ferry::index
