#include "s3client/s3_segments.h"

#include <unistd.h>

#include <cerrno>

namespace ferry {

void SegmentQueue::Append(std::span<const char> data) {
  if (data.empty()) return;
  if (segments_.empty() || segments_.back().fd >= 0 || segments_.back().begin > 0) {
    segments_.emplace_back();
  }
  segments_.back().data.append(data.data(), data.size());
  size_ += data.size();
}

void SegmentQueue::AppendFile(int fd, uint64_t offset, uint64_t length) {
  if (length == 0) return;
  Segment s;
  s.fd = fd;
  s.offset = offset;
  s.length = length;
  segments_.push_back(std::move(s));
  size_ += length;
}

Result<OwnedBody> SegmentQueue::Take(uint64_t n) {
  OwnedBody body;
  if (n == 0) return body;
  Segment& front = segments_.front();
  if (front.fd >= 0 && front.length >= n) {
    body.fd = front.fd;
    body.offset = front.offset;
    body.length = n;
    front.offset += n;
    front.length -= n;
    if (front.length == 0) segments_.pop_front();
    size_ -= n;
    return body;
  }
  if (front.fd < 0 && front.begin == 0 && front.data.size() >= n) {
    // The common case of Append-ed data: hand the buffer over, keep only the remainder.
    std::string rest = front.data.substr(n);
    front.data.resize(n);
    body.data = std::move(front.data);
    front.data = std::move(rest);
    if (front.data.empty()) segments_.pop_front();
    size_ -= n;
    return body;
  }
  body.data.resize(n);
  uint64_t filled = 0;
  while (filled < n) {
    Segment& s = segments_.front();
    uint64_t k = std::min<uint64_t>(s.size(), n - filled);
    if (s.fd >= 0) {
      uint64_t done = 0;
      while (done < k) {
        ssize_t got = ::pread(s.fd, body.data.data() + filled + done, k - done,
                              static_cast<off_t>(s.offset + done));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return Status::FromErrno("reading upload body", errno);
        if (got == 0) return Status::IOError("file shrank while being uploaded");
        done += static_cast<uint64_t>(got);
      }
      s.offset += k;
      s.length -= k;
    } else {
      std::copy_n(s.data.data() + s.begin, k, body.data.data() + filled);
      s.begin += k;
    }
    filled += k;
    if (s.size() == 0) segments_.pop_front();
  }
  size_ -= n;
  return body;
}

}  // namespace ferry
