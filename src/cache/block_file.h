// The on-disk form of one cached block: a self-describing file, so the cache needs no
// separate index to survive a restart and a torn or foreign file is recognised and dropped.
//
//   offset  size  field
//        0     8  magic "FRYBLK\0\2" (the last byte is the format version; 1 had no block size)
//        8     4  header length H (all fields up to and including the header CRC)
//       12     8  block index
//       20     8  block size (the reader's: block i holds bytes [i*size, (i+1)*size))
//       28     4  data length D
//       32     4  CRC32C of the data
//       36     4  object key length K
//       40     4  ETag length E
//       44     K  object key
//     44+K     E  ETag
//   44+K+E     4  CRC32C of bytes [0, 44+K+E)
//        H     D  data
//
// Integers are little-endian. Pure functions.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::cache {

// Which block of which object version: the key of the cache.
struct BlockKey {
  std::string object;  // the object's key in its bucket, with the bucket: "bucket/key"
  std::string etag;
  uint64_t index = 0;  // block number: offset / block_size
  // Part of the key: readers of different block sizes (mounts with another --block-size)
  // share a cache without reading each other's blocks. 0 for entries that are not blocks.
  uint64_t block_size = 0;
  bool operator==(const BlockKey&) const = default;
};

// The index of an entry that holds an object's metadata (fs/attribute_cache.h), not a block:
// it counts as neither a block nor a hit or miss in the cache's statistics.
inline constexpr uint64_t kMetadataIndex = std::numeric_limits<uint64_t>::max();

struct BlockHeader {
  BlockKey key;
  uint32_t data_length = 0;
  uint32_t data_crc32c = 0;
  uint32_t header_length = 0;
};

// Header followed by data, ready to be written.
std::string EncodeBlock(const BlockKey& key, std::string_view data);
// Only the header (with the data's CRC32C): written before the data, it spares a copy.
// data_crc32c: the data's CRC32C when the caller computed it already.
std::string EncodeBlockHeader(const BlockKey& key, std::string_view data,
                              std::optional<uint32_t> data_crc32c = std::nullopt);

// Parses the header at the start of bytes (which may hold more, or only the header); nullopt
// when it is not a valid header of this format.
std::optional<BlockHeader> DecodeBlockHeader(std::string_view bytes);

// Bytes to read to be sure to hold the header of a block with keys of ordinary length.
inline constexpr size_t kHeaderReadBytes = 4096;

// The file name of a block: 32 hex digits of a 128-bit hash of the key.
std::string BlockFileName(const BlockKey& key);

}  // namespace ferry::cache
