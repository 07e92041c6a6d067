#include "index/index_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/checksum.h"
#include "store/grouped_listing.h"
#include "store/read_full.h"

namespace ferry::index {
namespace {

class BytesSource final : public IndexSource {
 public:
  BytesSource(std::string bytes, std::string name)
      : bytes_(std::move(bytes)), name_(std::move(name)) {}
  uint64_t size() const override { return bytes_.size(); }
  Result<std::string> Read(uint64_t offset, uint64_t length) override {
    if (offset > bytes_.size() || length > bytes_.size() - offset) {
      return Status::Corruption(name_ + ": read past the end");
    }
    return bytes_.substr(offset, length);
  }
  const std::string& name() const override { return name_; }

 private:
  const std::string bytes_;
  const std::string name_;
};

class FileSource final : public IndexSource {
 public:
  FileSource(int fd, uint64_t size, std::string name)
      : fd_(fd), size_(size), name_(std::move(name)) {}
  ~FileSource() override { ::close(fd_); }
  uint64_t size() const override { return size_; }
  Result<std::string> Read(uint64_t offset, uint64_t length) override {
    std::string out(length, '\0');
    size_t done = 0;
    while (done < length) {
      ssize_t n = ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::FromErrno(name_, errno);
      if (n == 0) return Status::Corruption(name_ + ": the file ends early (truncated index?)");
      done += static_cast<size_t>(n);
    }
    return out;
  }
  const std::string& name() const override { return name_; }

 private:
  const int fd_;
  const uint64_t size_;
  const std::string name_;
};

class ObjectSource final : public IndexSource {
 public:
  ObjectSource(std::unique_ptr<ObjectReader> reader, std::string bucket, std::string name)
      : reader_(std::move(reader)), bucket_(std::move(bucket)), name_(std::move(name)) {}
  uint64_t size() const override { return reader_->meta().size; }
  Result<std::string> Read(uint64_t offset, uint64_t length) override {
    std::string out(length, '\0');
    FERRY_RETURN_IF_ERROR(ReadFull(*reader_, offset, out, bucket_));
    return out;
  }
  const std::string& name() const override { return name_; }

 private:
  const std::unique_ptr<ObjectReader> reader_;
  const std::string bucket_;
  const std::string name_;
};

}  // namespace

std::unique_ptr<IndexSource> SourceOfBytes(std::string bytes, std::string name) {
  return std::make_unique<BytesSource>(std::move(bytes), std::move(name));
}

Result<std::unique_ptr<IndexSource>> SourceOfFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int err = errno;
    ::close(fd);
    return err ? Status::FromErrno(path, err) : Status::InvalidArgument(path + ": not a file");
  }
  return std::unique_ptr<IndexSource>(
      std::make_unique<FileSource>(fd, static_cast<uint64_t>(st.st_size), path));
}

Result<std::unique_ptr<IndexSource>> SourceOfObject(ObjectStore& store, const std::string& bucket,
                                                    const std::string& key) {
  std::string name = "s3://" + bucket + "/" + key;
  auto reader = store.OpenObject(bucket, key);
  if (!reader.ok()) return reader.status().Annotate(name);
  return std::unique_ptr<IndexSource>(
      std::make_unique<ObjectSource>(std::move(*reader), bucket, std::move(name)));
}

Result<std::shared_ptr<IndexReader>> OpenIndex(ObjectStore& store, bool is_s3,
                                               const std::string& bucket_or_path,
                                               const std::string& key, bool whole) {
  constexpr uint64_t kWholeIndexBytes = uint64_t{256} << 20;
  std::unique_ptr<IndexSource> source;
  if (is_s3) {
    const std::string name = "s3://" + bucket_or_path + "/" + key;
    if (key.empty() || key.ends_with('/')) {
      return Status::InvalidArgument(name + ": an index is an object, s3://BUCKET/KEY");
    }
    FERRY_ASSIGN_OR_RETURN(source, SourceOfObject(store, bucket_or_path, key));
    if (whole && source->size() <= kWholeIndexBytes) {
      FERRY_ASSIGN_OR_RETURN(std::string bytes, source->Read(0, source->size()));
      source = SourceOfBytes(std::move(bytes), name);
    }
  } else {
    FERRY_ASSIGN_OR_RETURN(source, SourceOfFile(bucket_or_path));
  }
  FERRY_ASSIGN_OR_RETURN(auto reader, IndexReader::Open(std::move(source)));
  return std::shared_ptr<IndexReader>(std::move(reader));
}

Result<std::unique_ptr<IndexReader>> IndexReader::Open(std::unique_ptr<IndexSource> source,
                                                       size_t cached_blocks) {
  const std::string& name = source->name();
  const uint64_t size = source->size();
  if (size < kHeaderSize + kTrailerSize) {
    return Status::Corruption(name + ": not a ferry listing index, or a truncated one (" +
                              std::to_string(size) + " bytes)");
  }
  auto header = source->Read(0, kHeaderSize);
  if (!header.ok()) return header.status().Annotate(name);
  if (Status s = CheckHeader(*header); !s.ok()) return s.Annotate(name);
  auto trailer_bytes = source->Read(size - kTrailerSize, kTrailerSize);
  if (!trailer_bytes.ok()) return trailer_bytes.status().Annotate(name);
  auto trailer = DecodeTrailer(*trailer_bytes);
  if (!trailer.ok()) return trailer.status().Annotate(name);
  if (trailer->footer_offset < kHeaderSize ||
      trailer->footer_offset + trailer->footer_length != size - kTrailerSize) {
    return Status::Corruption(name + ": the index trailer does not match its size (truncated?)");
  }
  auto footer_bytes = source->Read(trailer->footer_offset, trailer->footer_length);
  if (!footer_bytes.ok()) return footer_bytes.status().Annotate(name);
  if (Crc32c(0, *footer_bytes) != trailer->footer_crc32c) {
    return Status::Corruption(name + ": the index's footer is corrupted (checksum mismatch)");
  }
  auto footer = DecodeFooter(*footer_bytes);
  if (!footer.ok()) return footer.status().Annotate(name);
  uint64_t expected_offset = kHeaderSize;
  for (const auto& b : footer->blocks) {
    if (b.offset != expected_offset || b.first_key > b.last_key) {
      return Status::Corruption(name + ": the index's block table is corrupted");
    }
    expected_offset += b.length;
  }
  if (expected_offset != trailer->footer_offset) {
    return Status::Corruption(name + ": the index's block table is corrupted");
  }
  return std::unique_ptr<IndexReader>(
      new IndexReader(std::move(source), std::move(*footer), std::max<size_t>(cached_blocks, 2)));
}

const std::string& IndexReader::last_key() const {
  static const std::string kNone;
  return footer_.blocks.empty() ? kNone : footer_.blocks.back().last_key;
}

bool IndexReader::MayEndBefore(std::string_view prefix) const {
  const std::optional<std::string> end = PrefixSuccessor(prefix);
  return last_key().empty() || !end || *end > last_key();
}

Result<Block> IndexReader::Decode(size_t i, std::string_view compressed) const {
  const BlockHandle& b = footer_.blocks.at(i);
  const std::string which =
      name() + ": index block " + std::to_string(i) + " (from " + b.first_key + ")";
  if (Crc32c(0, compressed) != b.crc32c) {
    return Status::Corruption(which + " is corrupted (checksum mismatch); build the index again");
  }
  auto raw = Uncompress(compressed, b.raw_length);
  if (!raw.ok()) return raw.status().Annotate(which);
  auto entries = DecodeEntries(*raw, b.entries);
  if (!entries.ok()) return entries.status().Annotate(which);
  if (entries->empty() || entries->front().key != b.first_key ||
      entries->back().key != b.last_key) {
    return Status::Corruption(which + " does not hold the keys the block table names");
  }
  return std::make_shared<const std::vector<IndexEntry>>(std::move(*entries));
}

Result<std::vector<Block>> IndexReader::ReadBlocks(size_t first, size_t last) {
  std::vector<Block> out;
  if (first >= last) return out;
  const auto& blocks = footer_.blocks;
  const uint64_t start = blocks.at(first).offset;
  const uint64_t end = blocks.at(last - 1).offset + blocks[last - 1].length;
  auto bytes = source_->Read(start, end - start);
  if (!bytes.ok()) return bytes.status().Annotate(name());
  out.reserve(last - first);
  for (size_t i = first; i < last; ++i) {
    FERRY_ASSIGN_OR_RETURN(Block block, Decode(i, std::string_view(*bytes).substr(
                                                      blocks[i].offset - start, blocks[i].length)));
    out.push_back(std::move(block));
  }
  return out;
}

Result<Block> IndexReader::ReadBlock(size_t i) {
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(i);
    if (it != cache_.end()) {
      recent_.splice(recent_.begin(), recent_, it->second.second);
      return it->second.first;
    }
  }
  const BlockHandle& b = footer_.blocks.at(i);
  auto compressed = source_->Read(b.offset, b.length);
  if (!compressed.ok()) return compressed.status().Annotate(name());
  FERRY_ASSIGN_OR_RETURN(Block block, Decode(i, *compressed));
  std::lock_guard lock(mu_);
  if (cache_.contains(i)) return cache_[i].first;
  recent_.push_front(i);
  cache_[i] = {block, recent_.begin()};
  while (cache_.size() > cached_blocks_) {
    cache_.erase(recent_.back());
    recent_.pop_back();
  }
  return block;
}

Status IndexReader::Iterator::Load(size_t block) {
  block_index_ = block;
  at_ = 0;
  if (block >= reader_.footer_.blocks.size()) {
    block_.reset();
    return Status::OK();
  }
  FERRY_ASSIGN_OR_RETURN(block_, reader_.ReadBlock(block));
  return Status::OK();
}

Status IndexReader::Iterator::SeekToBlock(size_t block) {
  return Load(block);
}

Status IndexReader::Iterator::Seek(std::string_view target) {
  const auto& blocks = reader_.footer_.blocks;
  // The first block whose last key is >= target holds the first key >= target.
  auto it = std::partition_point(blocks.begin(), blocks.end(),
                                 [&](const BlockHandle& b) { return b.last_key < target; });
  FERRY_RETURN_IF_ERROR(Load(static_cast<size_t>(it - blocks.begin())));
  if (!block_) return Status::OK();
  at_ = static_cast<size_t>(
      std::partition_point(block_->begin(), block_->end(),
                           [&](const IndexEntry& e) { return e.key < target; }) -
      block_->begin());
  return Status::OK();
}

Status IndexReader::Iterator::Next() {
  if (!block_) return Status::OK();
  if (++at_ < block_->size()) return Status::OK();
  return Load(block_index_ + 1);
}

Result<std::optional<IndexEntry>> IndexReader::Find(std::string_view key) {
  Iterator it(*this);
  FERRY_RETURN_IF_ERROR(it.Seek(key));
  if (!it.Valid() || it.entry().key != key) return std::optional<IndexEntry>();
  return std::optional<IndexEntry>(it.entry());
}

ObjectMeta MetaOf(const IndexEntry& e) {
  ObjectMeta m;
  m.key = e.key;
  m.size = e.size;
  m.etag = e.etag;
  m.last_modified_ns = e.last_modified_ns;
  m.headers.storage_class = e.storage_class;
  if (e.metadata_known) s3::EncodePosixAttributes(e.posix, m.headers.user_metadata);
  return m;
}

IndexEntry EntryOf(const ObjectMeta& meta, bool metadata_known) {
  IndexEntry e;
  e.key = meta.key;
  e.size = meta.size;
  e.etag = meta.etag;
  e.last_modified_ns = meta.last_modified_ns;
  e.storage_class = meta.headers.storage_class == "STANDARD" ? "" : meta.headers.storage_class;
  e.metadata_known = metadata_known;
  if (metadata_known) e.posix = s3::DecodePosixAttributes(meta.headers.user_metadata);
  return e;
}

namespace {

// The index's entries as the grouped listing walk sees them.
class EntryCursor final : public SortedCursor {
 public:
  explicit EntryCursor(IndexReader& reader) : it_(reader) {}
  Status Seek(std::string_view lower) override { return it_.Seek(lower); }
  Status Next() override { return it_.Next(); }
  bool Valid() const override { return it_.Valid(); }
  std::string_view key() const override { return it_.entry().key; }
  const IndexEntry& entry() const { return it_.entry(); }

 private:
  IndexReader::Iterator it_;
};

}  // namespace

Result<ListObjectsPage> IndexReader::List(const ListObjectsRequest& req) {
  ListObjectsPage page;
  EntryCursor cursor(*this);
  FERRY_RETURN_IF_ERROR(cursor.Seek(ListingStart(req.prefix, req.start_after)));
  GroupedListing spec{req.prefix, req.delimiter, req.start_after,
                      req.max_keys > 0 ? req.max_keys : 1000};
  FERRY_ASSIGN_OR_RETURN(
      GroupedResult walked,
      ListGrouped(
          cursor, spec, [&] { page.objects.push_back(MetaOf(cursor.entry())); },
          [&](const std::string& common) { page.common_prefixes.push_back(common); }));
  page.truncated = walked.truncated;
  page.last = std::move(walked.last);
  return page;
}

}  // namespace ferry::index
