// Content checksums for comparing and verifying the two sides of a sync: computed by reading
// a local file, or taken from an object's stored full-object checksum when it has one of the
// wanted algorithm (else computed by reading the object).
#pragma once

#include <string>

#include "ferry/object_store.h"
#include "sync/entry.h"

namespace ferry::sync {

// base64 checksum of the file's contents.
Result<std::string> LocalFileChecksum(const std::string& path, ChecksumAlgorithm algorithm);
// Hex MD5 of the file's contents.
Result<std::string> LocalFileMd5(const std::string& path);

// CRC32C (base64) of an entry's contents: a file's bytes, or a symbolic link's target.
// is_s3: where names an object (bucket + key) rather than a local path.
Result<std::string> ContentChecksum(ObjectStore& store, bool is_s3, const std::string& bucket,
                                    const std::string& where, EntryKind kind);

}  // namespace ferry::sync
