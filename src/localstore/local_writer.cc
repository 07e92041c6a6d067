#include "localstore/local_writer.h"

#include <algorithm>

#include "core/checksum.h"
#include "localstore/bucket_index.h"
#include "s3/errors.h"
#include "s3/http_semantics.h"
#include "store/body_digests.h"

namespace ferry::local {
namespace {

std::optional<DigestKind> KindOf(const std::optional<ObjectChecksum>& c) {
  return c ? DigestKindFor(c->algorithm) : std::nullopt;
}

StagerLimits LimitsFor(const LocalStoreOptions& o, const WriteSpec& spec) {
  if (!spec.upload_id.empty()) return {0, 0, /*force_blob=*/true};  // parts: blobs, see .h
  uint64_t pack = std::min(o.pack_threshold, o.pack_size);
  return {o.inline_threshold, pack, false, spec.size};
}

}  // namespace

Status VerifyDigests(const BodyStager& body, std::string_view content_md5,
                     const std::optional<ObjectChecksum>& expected,
                     std::optional<ObjectChecksum>* stored) {
  if (!content_md5.empty()) FERRY_RETURN_IF_ERROR(CheckContentMd5(content_md5, body.md5()));
  stored->reset();
  auto kind = KindOf(expected);
  if (!kind) return Status::OK();
  FERRY_ASSIGN_OR_RETURN(std::string digest, body.Digest(*kind));
  FERRY_ASSIGN_OR_RETURN(*stored, CheckChecksum(*expected, digest));
  return Status::OK();
}

LocalWriter::LocalWriter(std::shared_ptr<Bucket> bucket, WriteSpec spec)
    : bucket_(std::move(bucket)),
      spec_(std::move(spec)),
      stager_(&bucket_->blobs(), &bucket_->packs(), &bucket_->md5(),
              LimitsFor(bucket_->options(), spec_), KindOf(spec_.checksum)) {}

Status LocalWriter::CheckGrowth(uint64_t n) {
  if (finished_) return Status::Internal("ObjectWriter: Append after Commit or an error");
  if (spec_.size && stager_.size() + n > *spec_.size) {
    finished_ = true;
    return s3err::IncompleteBody("The request body is longer than its Content-Length.");
  }
  if (stager_.size() + n > kMaxPutSize) {
    finished_ = true;
    return s3err::EntityTooLarge("Your proposed upload exceeds the maximum allowed size.");
  }
  return Status::OK();
}

Status LocalWriter::Append(std::span<const char> data) {
  FERRY_RETURN_IF_ERROR(CheckGrowth(data.size()));
  Status s = stager_.Append(data);
  if (!s.ok()) finished_ = true;
  return s;
}

Status LocalWriter::AppendCopy(int src_fd, uint64_t src_offset, std::span<const char> data) {
  FERRY_RETURN_IF_ERROR(CheckGrowth(data.size()));
  Status s = stager_.AppendCopy(src_fd, src_offset, data);
  if (!s.ok()) finished_ = true;
  return s;
}

Status LocalWriter::AppendFile(int fd, uint64_t offset, uint64_t length) {
  // The bytes are read once for the digests; the kernel copies them file to file.
  std::string chunk(static_cast<size_t>(std::min<uint64_t>(std::max<uint64_t>(length, 1), 8 << 20)),
                    '\0');
  while (length > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(length, chunk.size()));
    FERRY_ASSIGN_OR_RETURN(
        size_t n, PreadFull(fd, std::span<char>(chunk.data(), want), offset, "read upload source"));
    if (n == 0) return Status::IOError("upload source file shrank while being read");
    FERRY_RETURN_IF_ERROR(AppendCopy(fd, offset, std::span<const char>(chunk.data(), n)));
    offset += n;
    length -= n;
  }
  return Status::OK();
}

void LocalWriter::SetExpectedChecksum(const ObjectChecksum& checksum) {
  spec_.checksum = checksum;
  // Stream the new algorithm when nothing has arrived yet; else Commit re-reads the body.
  stager_.SetChecksumKind(DigestKindFor(checksum.algorithm));
}

Result<ObjectMeta> LocalWriter::Commit() {
  if (finished_) return Status::Internal("ObjectWriter::Commit called twice or after an error");
  finished_ = true;
  if (spec_.size && stager_.size() != *spec_.size) {
    return s3err::IncompleteBody(
        "You did not provide the number of bytes specified by the Content-Length HTTP header.");
  }
  FERRY_RETURN_IF_ERROR(stager_.Finish());
  ObjectMeta meta;
  meta.key = spec_.key;
  meta.size = stager_.size();
  meta.etag = HexEncode(stager_.md5());
  FERRY_RETURN_IF_ERROR(VerifyDigests(stager_, spec_.content_md5, spec_.checksum, &meta.checksum));
  return spec_.upload_id.empty() ? CommitObject(std::move(meta)) : CommitPart(std::move(meta));
}

void LocalWriter::OnCommitError(const Status& s) {
  // A failed COMMIT may still be replayed from the WAL after a crash; keep the blob it may
  // reference and let the next start sweep it if it is stray.
  if (s.code() == Status::Code::kIOError && stager_.in_blob()) {
    stager_.sink().Keep();
    bucket_->SetNeedsSweep();
  }
}

Result<ObjectMeta> LocalWriter::CommitObject(ObjectMeta meta) {
  ObjectRow row;
  meta.headers = spec_.headers;
  row.meta = std::move(meta);
  std::string_view inline_bytes;
  int sync_fd = -1;
  if (stager_.in_blob()) {
    row.segments.push_back({stager_.sink().id(), stager_.size(), std::string(stager_.md5())});
  } else if (const PackStore::Slot* slot = stager_.pack_slot()) {
    row.packed = PackRange{slot->pack().id(), slot->offset(), stager_.size()};
    sync_fd = slot->pack().fd();
  } else {
    inline_bytes = stager_.inline_bytes();
  }
  std::string if_match(s3::UnquoteEtag(spec_.if_match_etag));
  Garbage garbage;
  Status s = bucket_->Mutate(
      [&](sqlite::Db& db) -> Status {
        if (spec_.if_none_match_star || !if_match.empty()) {
          FERRY_ASSIGN_OR_RETURN(auto current, index::GetObject(db, spec_.key, nullptr));
          if (spec_.if_none_match_star && current) {
            return s3err::PreconditionFailed(
                "At least one of the pre-conditions you specified did not hold");
          }
          if (!if_match.empty()) {
            if (!current) return s3err::NoSuchKey(bucket_->name(), spec_.key);
            if (if_match != "*" && if_match != current->meta.etag) {
              return s3err::PreconditionFailed(
                  "At least one of the pre-conditions you specified did not hold");
            }
          }
        }
        row.meta.last_modified_ns = bucket_->clock().NowNanos();
        garbage.clear();
        return index::PutObject(db, row, inline_bytes, &garbage);
      },
      sync_fd);
  if (!s.ok()) {
    OnCommitError(s);
    return s;
  }
  if (stager_.in_blob()) stager_.sink().Keep();
  bucket_->Collect(spec_.key, garbage);
  if (!bucket_->versioned()) row.meta.version_id.clear();
  return std::move(row.meta);
}

Result<ObjectMeta> LocalWriter::CommitPart(ObjectMeta meta) {
  index::PartRow part;
  part.info.part_number = spec_.part_number;
  part.info.etag = meta.etag;
  part.info.size = meta.size;
  part.info.checksum = meta.checksum;
  part.blob = stager_.sink().id();
  std::vector<BlobId> dropped;
  Status s = bucket_->Mutate([&](sqlite::Db& db) -> Status {
    FERRY_ASSIGN_OR_RETURN(auto upload, index::GetUpload(db, spec_.upload_id));
    if (!upload || upload->info.key != spec_.key) return s3err::NoSuchUpload(spec_.upload_id);
    part.info.last_modified_ns = bucket_->clock().NowNanos();
    dropped.clear();
    return index::PutPart(db, spec_.upload_id, part, &dropped);
  });
  if (!s.ok()) {
    OnCommitError(s);
    return s;
  }
  stager_.sink().Keep();
  bucket_->Collect("", Garbage{std::move(dropped)});
  meta.last_modified_ns = part.info.last_modified_ns;
  return meta;
}

}  // namespace ferry::local
