#include "fs/drop_behind.h"

#include <algorithm>

namespace ferry::fs {
namespace {

constexpr uint64_t kPage = 4096;

}  // namespace

DropBehind::DropBehind(uint64_t distance)
    : distance_(distance), step_(std::clamp<uint64_t>(distance / 4, kPage, kMaxStep)) {}

std::optional<ByteRange> DropBehind::OnRead(uint64_t offset, uint64_t length) {
  std::lock_guard lock(mu_);
  // The kernel's read-ahead hands one stream's reads to several FUSE threads, which answer
  // them slightly out of order: a read a little before or after the expected offset is
  // still the stream (the same allowance as ReadAhead's).
  const uint64_t slack = std::max<uint64_t>(4 * length, uint64_t{1} << 20);
  const bool sequential = offset >= kept_from_ && offset <= next_ + slack;
  if (!sequential) {
    // A new run (a seek, or another stream): nothing before it was read by this one.
    kept_from_ = offset / kPage * kPage;
    next_ = offset + length;
    return std::nullopt;
  }
  next_ = std::max(next_, offset + length);
  if (next_ < distance_) return std::nullopt;
  const uint64_t until = (next_ - distance_) / kPage * kPage;
  if (until < kept_from_ + step_) return std::nullopt;
  ByteRange dropped{kept_from_, until - kept_from_};
  kept_from_ = until;
  return dropped;
}

}  // namespace ferry::fs
