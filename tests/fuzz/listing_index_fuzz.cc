// The listing index file: any bytes open, list and read as an index or fail cleanly (the
// footer and the entries are decoded directly too, past the checksums that guard them), and
// entries made from the input encode and decode back to themselves.
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "index/index_format.h"
#include "index/index_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry::index;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)DecodeFooter(in);
  (void)DecodeTrailer(in.substr(0, kTrailerSize));
  if (!in.empty()) (void)DecodeEntries(in.substr(1), static_cast<uint8_t>(in[0]));
  auto reader = IndexReader::Open(SourceOfBytes(std::string(in), "fuzz"));
  if (reader.ok()) {
    for (size_t i = 0; i < (*reader)->blocks().size(); ++i) (void)(*reader)->ReadBlock(i);
    ferry::ListObjectsRequest req;
    req.delimiter = "/";
    (void)(*reader)->List(req);
  }

  ferry::fuzz::FuzzInput pieces(data, size);
  std::vector<IndexEntry> entries;
  while (!pieces.Rest().empty() && entries.size() < 64) {
    IndexEntry e;
    e.key = std::string(pieces.Piece('\0'));
    if (!entries.empty() && !(entries.back().key < e.key)) continue;
    e.etag = std::string(pieces.Piece('\0'));
    e.storage_class = std::string(pieces.Piece('\0'));
    uint8_t bits = pieces.Byte();
    e.size = uint64_t{pieces.Byte()} << (bits & 63);
    e.last_modified_ns = static_cast<int64_t>(pieces.Byte()) * 1'000'000'007 * (bits & 1 ? -1 : 1);
    e.metadata_known = bits & 2;
    if (bits & 4) e.posix.mode = pieces.Byte() | 0100000u;
    if (bits & 8) e.posix.uid = pieces.Byte();
    if (bits & 16) e.posix.mtime_ns = -static_cast<int64_t>(pieces.Byte());
    entries.push_back(std::move(e));
  }
  auto back = DecodeEntries(EncodeEntries(entries), static_cast<uint32_t>(entries.size()));
  if (!back.ok() || *back != entries) __builtin_trap();
  return 0;
}
