// Writes a listing index (index_format.h) from entries given in ascending key order, a block
// at a time, to a sink: the index of ten million objects is never held in memory.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "index/index_format.h"

namespace ferry::index {

class IndexWriter {
 public:
  using Sink = std::function<Status(std::string_view)>;
  // Raw bytes of entries per block before compression: ~1,000 entries, ~20 KiB on the wire.
  static constexpr size_t kBlockBytes = 64 << 10;

  // info.entries is counted by the writer.
  IndexWriter(IndexInfo info, Sink sink, size_t block_bytes = kBlockBytes);

  // InvalidArgument when the key does not follow the previous one or lies outside the prefix.
  Status Add(IndexEntry entry);
  // Writes the last block, the footer and the trailer.
  Status Finish();

  uint64_t entries() const { return footer_.info.entries; }
  uint64_t bytes_written() const { return offset_; }

 private:
  Status Write(std::string_view bytes);
  Status FlushBlock();

  Footer footer_;
  Sink sink_;
  const size_t block_bytes_;
  std::vector<IndexEntry> pending_;
  size_t pending_bytes_ = 0;
  std::string last_key_;
  uint64_t offset_ = 0;
  bool started_ = false;
};

// The whole index of entries (sorted) as bytes: for tests and small indexes.
Result<std::string> WriteIndex(IndexInfo info, const std::vector<IndexEntry>& entries,
                               size_t block_bytes = IndexWriter::kBlockBytes);

}  // namespace ferry::index
