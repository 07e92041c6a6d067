#include "localstore/local_reader.h"

#include <algorithm>

#include "localstore/archive_tier.h"
#include "localstore/bucket_index.h"
#include "s3/errors.h"

namespace ferry::local {
namespace {

constexpr size_t kMaxCachedFds = 16;  // unexported descriptors ReadAt keeps open

std::vector<BlobId> BlobsOf(const std::vector<Segment>& segments) {
  std::vector<BlobId> out;
  out.reserve(segments.size());
  for (const auto& s : segments) out.push_back(s.blob);
  return out;
}

}  // namespace

Result<std::unique_ptr<ObjectReader>> OpenLocalReader(std::shared_ptr<Bucket> bucket,
                                                      std::string_view key,
                                                      const index::VersionRef& ref) {
  const bool latest = ref.kind == index::VersionRef::Kind::kLatest;
  // A pack may be unlinked between the lookup and its opening (the row moved by compaction,
  // or replaced): then the key is looked up again. Bounded, though each retry sees a newer
  // commit than the last.
  for (int attempt = 0;; ++attempt) {
    // Pin the key before the lookup: a commit that drops the version we find defers its blob
    // unlinks until our blob pins are in place (see blob_pins.h).
    bucket->pins().PinKey(key);
    std::optional<ObjectRow> row;
    std::string body;
    {
      auto db = bucket->Reader();
      auto found = !db.ok() ? db.status()
                   : latest ? index::GetObject(**db, key, &body)
                            : index::GetVersion(**db, key, ref, &body);
      if (!found.ok()) {
        bucket->pins().UnpinKey(key);
        return found.status();
      }
      row = std::move(found).value();
    }
    if (!row || row->meta.delete_marker) {
      bucket->pins().UnpinKey(key);
      if (latest) return s3err::NoSuchKey(bucket->name(), key);
      if (!row) return s3err::NoSuchVersion(key, index::FormatVersionRef(ref));
      return s3err::MethodNotAllowed("The specified method is not allowed against this resource.");
    }
    if (!bucket->versioned()) row->meta.version_id.clear();
    if (!row->archived_as.empty()) {
      bucket->pins().UnpinKey(key);
      ArchiveTier* archive = bucket->options().archive;
      if (!archive) {
        return Status::Unavailable("the bytes of " + std::string(key) +
                                   " are in an archive tier this server was not started with "
                                   "(--archive)")
            .WithS3Code("ServiceUnavailable", 503);
      }
      auto reader = archive->Open(row->archived_as, std::move(row->meta));
      // Removed by a commit since the lookup: look again.
      if (reader.ok() || !reader.status().IsNotFound() || attempt >= 100) return reader;
      continue;
    }
    if (!row->segments.empty()) {
      bucket->pins().PinBlobsAndUnpinKey(key, BlobsOf(row->segments));
      return std::unique_ptr<ObjectReader>(
          new LocalReader(std::move(bucket), std::move(row->meta), std::move(row->segments)));
    }
    bucket->pins().UnpinKey(key);
    if (!row->packed) {
      return std::unique_ptr<ObjectReader>(new LocalReader(std::move(row->meta), std::move(body)));
    }
    auto pack = bucket->packs().Open(row->packed->pack);
    if (pack.ok()) {
      return std::unique_ptr<ObjectReader>(
          new LocalReader(std::move(row->meta), std::move(pack).value(), row->packed->offset));
    }
    if (!pack.status().IsNotFound() || attempt >= 100) return pack.status();
  }
}

LocalReader::LocalReader(ObjectMeta meta, std::string body)
    : meta_(std::move(meta)), body_(std::move(body)) {}

LocalReader::LocalReader(ObjectMeta meta, std::shared_ptr<Pack> pack, uint64_t offset)
    : meta_(std::move(meta)), pack_(std::move(pack)), pack_offset_(offset) {}

LocalReader::LocalReader(std::shared_ptr<Bucket> bucket, ObjectMeta meta,
                         std::vector<Segment> segments)
    : bucket_(std::move(bucket)), meta_(std::move(meta)) {
  uint64_t start = 0;
  pieces_.reserve(segments.size());
  for (auto& s : segments) {
    pieces_.push_back(Piece{s, start});
    start += s.size;
  }
  fds_.resize(pieces_.size());
  exported_.resize(pieces_.size());
}

LocalReader::~LocalReader() {
  if (bucket_ == nullptr) return;
  std::vector<BlobId> blobs;
  blobs.reserve(pieces_.size());
  fds_.clear();
  for (auto& p : pieces_) blobs.push_back(p.segment.blob);
  bucket_->pins().UnpinBlobs(blobs);
}

size_t LocalReader::PieceAt(uint64_t offset) const {
  auto it = std::upper_bound(pieces_.begin(), pieces_.end(), offset,
                             [](uint64_t off, const Piece& p) { return off < p.start; });
  return static_cast<size_t>(it - pieces_.begin()) - 1;
}

std::optional<Segment> LocalReader::SegmentAt(uint64_t offset, uint64_t length) const {
  if (pieces_.empty() || offset >= meta_.size) return std::nullopt;
  const Piece& p = pieces_[PieceAt(offset)];
  if (p.start != offset || p.segment.size != length) return std::nullopt;
  return p.segment;
}

Result<LocalReader::SharedFd> LocalReader::Fd(size_t i, bool exported) {
  // An fd handed out raw (Extents) must stay open for the reader's life: marked exported,
  // the trimming of cached fds passes it by. REQUIRES: mu_ held, fds_[i] set.
  auto held = [&]() -> SharedFd {
    if (exported && !exported_[i]) {
      exported_[i] = true;
      --cached_fds_;
    }
    return fds_[i];
  };
  {
    std::lock_guard l(mu_);
    if (fds_[i] != nullptr) return held();
  }
  FERRY_ASSIGN_OR_RETURN(UniqueFd opened, bucket_->blobs().OpenForRead(pieces_[i].segment.blob));
  auto fd = std::make_shared<const UniqueFd>(std::move(opened));
  std::lock_guard l(mu_);
  if (fds_[i] != nullptr) return held();  // another thread opened it meanwhile
  if (!exported && cached_fds_ >= kMaxCachedFds) {
    for (size_t k = 0; k < fds_.size(); ++k) {
      if (fds_[k] != nullptr && !exported_[k]) fds_[k].reset();  // holders keep theirs
    }
    cached_fds_ = 0;
  }
  fds_[i] = fd;
  exported_[i] = exported;
  if (!exported) ++cached_fds_;
  return fd;
}

Result<size_t> LocalReader::ReadAt(uint64_t offset, std::span<char> out) {
  if (offset >= meta_.size || out.empty()) return size_t{0};
  size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), meta_.size - offset));
  if (pack_ != nullptr) {
    FERRY_ASSIGN_OR_RETURN(size_t got, PreadFull(pack_->fd(), out.subspan(0, want),
                                                 pack_offset_ + offset, "read pack"));
    if (got != want) {
      return Status::Corruption("pack " + pack_->id().Hex() + " is shorter than recorded")
          .WithS3Code("InternalError", 500);
    }
    return want;
  }
  if (pieces_.empty()) {
    std::copy_n(body_.data() + offset, want, out.data());
    return want;
  }
  size_t done = 0;
  for (size_t i = PieceAt(offset); done < want && i < pieces_.size(); ++i) {
    const Piece& p = pieces_[i];
    uint64_t in_piece = offset + done - p.start;
    size_t n = static_cast<size_t>(std::min<uint64_t>(want - done, p.segment.size - in_piece));
    if (n == 0) continue;
    FERRY_ASSIGN_OR_RETURN(SharedFd fd, Fd(i, /*exported=*/false));
    FERRY_ASSIGN_OR_RETURN(size_t got, PreadFull(fd->get(), out.subspan(done, n), in_piece,
                                                 "read blob " + p.segment.blob.Hex()));
    if (got != n) {
      return Status::Corruption("blob " + p.segment.blob.Hex() + " of " + meta_.key +
                                " is shorter than recorded")
          .WithS3Code("InternalError", 500);
    }
    done += n;
  }
  return done;
}

std::vector<ObjectReader::Extent> LocalReader::Extents(uint64_t offset, uint64_t length) {
  std::vector<Extent> out;
  if (offset >= meta_.size || length == 0) return out;
  length = std::min(length, meta_.size - offset);
  if (pack_ != nullptr) {
    Extent e;
    e.fd = pack_->fd();
    e.file_offset = pack_offset_ + offset;
    e.length = length;
    out.push_back(e);
    return out;
  }
  if (pieces_.empty()) {
    Extent e;
    e.bytes = std::string_view(body_).substr(offset, length);
    e.length = length;
    out.push_back(e);
    return out;
  }
  uint64_t end = offset + length;
  for (size_t i = PieceAt(offset); offset < end && i < pieces_.size(); ++i) {
    const Piece& p = pieces_[i];
    uint64_t in_piece = offset - p.start;
    uint64_t n = std::min(end - offset, p.segment.size - in_piece);
    if (n == 0) continue;
    auto fd = Fd(i, /*exported=*/true);
    if (!fd.ok()) return {};  // the caller falls back to ReadAt, which reports the error
    Extent e;
    e.fd = (*fd)->get();
    e.file_offset = in_piece;
    e.length = n;
    out.push_back(e);
    offset += n;
  }
  return out;
}

}  // namespace ferry::local
