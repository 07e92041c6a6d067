// RecordIO framing: any input parses or fails cleanly, and what AppendRecordIO frames parses
// back to the same records.
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "train/recordio.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry::train;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)ParseRecordIO(in);
  ferry::fuzz::FuzzInput pieces(data, size);
  std::vector<std::string> records;
  std::string framed;
  while (!pieces.Rest().empty()) {
    records.emplace_back(pieces.Piece('\0'));
    if (!AppendRecordIO(records.back(), &framed).ok()) __builtin_trap();
  }
  auto back = ParseRecordIO(framed);
  if (!back.ok() || *back != records) __builtin_trap();
  return 0;
}
