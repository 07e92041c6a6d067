// Reading an object's bytes into memory: a range filled completely (ReadAt may return less
// than asked), or a whole object. For callers that keep what they read (the mount's blocks,
// small objects of a training channel).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "ferry/object_store.h"

namespace ferry {

// Fills out with the bytes at offset; Unavailable naming s3://bucket/key when the object ends
// (or the stream is cut) before out is full.
// With observer, the bytes are shown to it as they arrive (ObjectReader::ReadAtObserved).
Status ReadFull(ObjectReader& reader, uint64_t offset, std::span<char> out, std::string_view bucket,
                const ObjectReader::ArrivalObserver* observer = nullptr);

// The whole current version of an object.
Result<std::string> ReadWholeObject(ObjectStore& store, const std::string& bucket,
                                    const std::string& key);

}  // namespace ferry
