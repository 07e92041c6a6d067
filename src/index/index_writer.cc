#include "index/index_writer.h"

#include "core/checksum.h"

namespace ferry::index {

IndexWriter::IndexWriter(IndexInfo info, Sink sink, size_t block_bytes)
    : sink_(std::move(sink)), block_bytes_(block_bytes) {
  footer_.info = std::move(info);
  footer_.info.entries = 0;
}

Status IndexWriter::Write(std::string_view bytes) {
  FERRY_RETURN_IF_ERROR(sink_(bytes));
  offset_ += bytes.size();
  return Status::OK();
}

Status IndexWriter::Add(IndexEntry entry) {
  if (!entry.key.starts_with(footer_.info.prefix)) {
    return Status::InvalidArgument("index entry " + entry.key + " is not under the prefix " +
                                   footer_.info.prefix);
  }
  if (footer_.info.entries > 0 && !(last_key_ < entry.key)) {
    return Status::InvalidArgument("index entries out of order: " + entry.key + " after " +
                                   last_key_);
  }
  last_key_ = entry.key;
  ++footer_.info.entries;
  // An estimate is enough to size blocks: the key, fixed fields, metadata.
  pending_bytes_ += entry.key.size() + entry.etag.size() + entry.storage_class.size() + 32;
  pending_.push_back(std::move(entry));
  if (pending_bytes_ >= block_bytes_) return FlushBlock();
  return Status::OK();
}

Status IndexWriter::FlushBlock() {
  if (!started_) {
    started_ = true;
    FERRY_RETURN_IF_ERROR(Write(EncodeHeader()));
  }
  if (pending_.empty()) return Status::OK();
  std::string raw = EncodeEntries(pending_);
  std::string compressed = Compress(raw);
  BlockHandle b;
  b.offset = offset_;
  b.length = static_cast<uint32_t>(compressed.size());
  b.raw_length = static_cast<uint32_t>(raw.size());
  b.entries = static_cast<uint32_t>(pending_.size());
  b.crc32c = Crc32c(0, compressed);
  b.first_key = pending_.front().key;
  b.last_key = pending_.back().key;
  FERRY_RETURN_IF_ERROR(Write(compressed));
  footer_.blocks.push_back(std::move(b));
  pending_.clear();
  pending_bytes_ = 0;
  return Status::OK();
}

Status IndexWriter::Finish() {
  FERRY_RETURN_IF_ERROR(FlushBlock());
  std::string footer = EncodeFooter(footer_);
  Trailer t;
  t.footer_offset = offset_;
  t.footer_length = static_cast<uint32_t>(footer.size());
  t.footer_crc32c = Crc32c(0, footer);
  t.format_version = kFormatVersion;
  FERRY_RETURN_IF_ERROR(Write(footer));
  return Write(EncodeTrailer(t));
}

Result<std::string> WriteIndex(IndexInfo info, const std::vector<IndexEntry>& entries,
                               size_t block_bytes) {
  std::string out;
  IndexWriter writer(
      std::move(info),
      [&](std::string_view bytes) {
        out.append(bytes);
        return Status::OK();
      },
      block_bytes);
  for (const auto& e : entries) FERRY_RETURN_IF_ERROR(writer.Add(e));
  FERRY_RETURN_IF_ERROR(writer.Finish());
  return out;
}

}  // namespace ferry::index
