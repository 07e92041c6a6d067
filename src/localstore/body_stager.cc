#include "localstore/body_stager.h"

#include <algorithm>

namespace ferry::local {

BodyStager::BodyStager(BlobStore* blobs, PackStore* packs, Md5Batcher* md5, StagerLimits limits,
                       std::optional<DigestKind> checksum)
    : blobs_(blobs), packs_(packs), limits_(limits), md5_hasher_(md5->NewHasher()) {
  SetChecksumKind(checksum);
}

bool BodyStager::SetChecksumKind(std::optional<DigestKind> kind) {
  if (size_ > 0) return kind == checksum_kind_;
  checksum_kind_ = kind;
  checksum_hasher_ = kind ? NewHasher(*kind) : nullptr;
  return true;
}

uint64_t BodyStager::memory_limit() const {
  uint64_t limit = std::max(limits_.inline_limit, limits_.pack_limit);
  // A body announced too big for memory streams to its blob from the first byte.
  if (limits_.force_blob || (limits_.size_hint && *limits_.size_hint > limit)) return 0;
  return limit;
}

Status BodyStager::SpillToBlob() {
  FERRY_ASSIGN_OR_RETURN(sink_, BlobSink::Create(blobs_));
  md5_hasher_->Update(std::string_view(buffer_));
  if (!buffer_.empty()) FERRY_RETURN_IF_ERROR(sink_->Append(buffer_));
  std::string().swap(buffer_);
  return Status::OK();
}

Status BodyStager::Append(std::span<const char> data) {
  if (data.empty()) return Status::OK();
  if (checksum_hasher_) checksum_hasher_->Update(data);
  size_ += data.size();
  if (sink_ == nullptr && size_ > memory_limit()) FERRY_RETURN_IF_ERROR(SpillToBlob());
  if (sink_ != nullptr) {
    md5_hasher_->Update(data);
    return sink_->Append(data);
  }
  if (buffer_.empty()) {
    buffer_.reserve(std::min<uint64_t>(memory_limit(), limits_.size_hint.value_or(64 * 1024)));
  }
  buffer_.append(data.data(), data.size());
  return Status::OK();
}

Status BodyStager::AppendCopy(int src_fd, uint64_t src_offset, std::span<const char> data) {
  if (data.empty()) return Status::OK();
  if (sink_ == nullptr && size_ + data.size() > memory_limit()) {
    FERRY_RETURN_IF_ERROR(SpillToBlob());
  }
  if (sink_ == nullptr) return Append(data);
  md5_hasher_->Update(data);  // the body is in the blob: hashed as it goes
  if (checksum_hasher_) checksum_hasher_->Update(data);
  size_ += data.size();
  return sink_->CopyFrom(src_fd, src_offset, data);
}

Status BodyStager::Finish() {
  if (sink_ == nullptr && limits_.force_blob) FERRY_RETURN_IF_ERROR(SpillToBlob());
  // A body still in memory is hashed whole here, in one batch with other uploads' bodies.
  if (sink_ == nullptr) md5_hasher_->Update(std::string_view(buffer_));
  md5_ = md5_hasher_->Finish();
  if (checksum_hasher_) checksum_ = checksum_hasher_->Finish();
  if (sink_ != nullptr) return sink_->Finish();
  if (size_ > limits_.inline_limit) {
    FERRY_ASSIGN_OR_RETURN(slot_, packs_->Reserve(size_));
    FERRY_RETURN_IF_ERROR(slot_->Write(buffer_));
  }
  return Status::OK();
}

Result<std::string> BodyStager::Digest(DigestKind kind) const {
  if (kind == DigestKind::kMd5) return md5_;
  if (checksum_kind_ == kind) return checksum_;
  if (sink_ == nullptr) return ferry::Digest(kind, buffer_);
  auto hasher = NewHasher(kind);
  std::string chunk(1 << 20, '\0');
  for (uint64_t off = 0; off < size_;) {
    FERRY_ASSIGN_OR_RETURN(size_t n, PreadFull(sink_->fd(), chunk, off, "reread blob"));
    if (n == 0) break;
    hasher->Update(std::span<const char>(chunk.data(), n));
    off += n;
  }
  return hasher->Finish();
}

}  // namespace ferry::local
