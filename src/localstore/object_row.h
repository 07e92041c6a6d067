// The encodings of an object's row in a bucket index (see doc/LOCAL_STORE.md): headers and
// checksum as a JSON document, and the data location as an inline id or a list of blob
// segments in a compact binary form. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/object_store.h"
#include "localstore/blob_id.h"

namespace ferry::local {

// One piece of an object's body: the whole of one blob file. md5 (16 raw bytes, or empty when
// not recorded) is the MD5 of the blob's bytes: a part copied whole from it needs no hashing.
struct Segment {
  BlobId blob;
  uint64_t size = 0;
  std::string md5;
};

// A body stored in a pack file shared with other small bodies (see pack_store.h).
struct PackRange {
  BlobId pack;
  uint64_t offset = 0;
  uint64_t size = 0;
};

// Everything a bucket index stores about one object, except the inline bytes themselves.
// The body is in exactly one place: inline (in the index), a pack range, or blob segments.
struct ObjectRow {
  ObjectMeta meta;                   // part_sizes is filled from segments for multipart
  uint64_t version_seq = 0;          // orders the versions of a key (0: written unversioned)
  bool null_version = true;          // the "null" version of its key
  std::optional<int64_t> inline_id;  // row in inline_data, when the body is inline
  std::optional<PackRange> packed;   // range of a pack file, when the body is packed
  std::vector<Segment> segments;     // otherwise the body, in order
  // Or, for an archived version whose bytes moved to the archive tier, their name there
  // (archive_tier.h); inline_id, packed and segments are then empty.
  std::string archived_as;
};

// What dropping object rows released: blobs to unlink after the commit, and packed bytes
// (packs left empty or sparse are cleaned by the maintenance pass).
struct Garbage {
  std::vector<BlobId> blobs;
  std::vector<BlobId> emptied_packs;
  uint64_t pack_bytes = 0;
  std::vector<std::string> archived;  // names in the archive tier to remove
  void clear() {
    archived.clear();
    blobs.clear();
    emptied_packs.clear();
    pack_bytes = 0;
  }
};

// JSON of headers (without storage_class, which has its own column) and checksum. Values
// that are not valid UTF-8 are stored with U+FFFD replacements.
// archived_as, when set, is kept with them (ObjectRow::archived_as).
std::string EncodeMetaJson(const ObjectHeaders& headers,
                           const std::optional<ObjectChecksum>& checksum,
                           std::string_view archived_as = {});
// Fills headers (except storage_class), checksum and, when given, archived_as; Corruption when
// json is malformed.
Status DecodeMetaJson(std::string_view json, ObjectHeaders* headers,
                      std::optional<ObjectChecksum>* checksum, std::string* archived_as = nullptr);

// Checksum alone, for part rows; empty string when there is none.
std::string EncodeChecksumJson(const std::optional<ObjectChecksum>& checksum);
Result<std::optional<ObjectChecksum>> DecodeChecksumJson(std::string_view json);

// 24 bytes per segment: 16-byte blob id, 8-byte little-endian size.
std::string EncodeSegments(const std::vector<Segment>& segments);
Result<std::vector<Segment>> DecodeSegments(std::string_view raw);

}  // namespace ferry::local
