// MXNet (dmlc) RecordIO framing, as SageMaker's RecordWrapperType RecordIO uses it: each
// record is the magic 0xced7230a, a 32-bit length word (continuation flag in the top 3 bits,
// length in the low 29) and the data padded to 4 bytes. A record whose data holds the magic
// at a 4-byte-aligned offset is split there into parts (flags 1, 2, 3) with that magic left
// out, exactly as dmlc's writer does, so any RecordIO reader rebuilds the bytes. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/result.h"

namespace ferry::train {

inline constexpr uint32_t kRecordIOMagic = 0xced7230a;
inline constexpr size_t kRecordIOMaxRecord = (size_t{1} << 29) - 1;

// Appends the framed record to out; InvalidArgument for data of 2^29 bytes or more.
Status AppendRecordIO(std::string_view data, std::string* out);

// The records framed in bytes (for tests and readers of our own output).
Result<std::vector<std::string>> ParseRecordIO(std::string_view bytes);

}  // namespace ferry::train
