// SegmentQueue: the not-yet-sent bytes of an upload, in order, as pieces of memory (copied
// from Append) and ranges of open files (AppendFile, never copied). Take(n) removes the first
// n bytes as one request body: a file range when they all lie in one file piece, so a file is
// sent straight from its descriptor; memory otherwise (file pieces are read with pread).
// Thread-compatible.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>

#include "ferry/result.h"
#include "s3client/s3_upload.h"

namespace ferry {

// A request body that owns its memory (or refers to a file the caller keeps open).
struct OwnedBody {
  std::string data;  // when fd < 0
  int fd = -1;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t size() const { return fd >= 0 ? length : data.size(); }
  UploadBody view() const {
    return fd >= 0 ? UploadBody{{}, fd, offset, length} : UploadBody{data, -1, 0, 0};
  }
};

class SegmentQueue {
 public:
  void Append(std::span<const char> data);
  // REQUIRES: fd stays open and the range unchanged until the bytes are sent.
  void AppendFile(int fd, uint64_t offset, uint64_t length);
  uint64_t size() const { return size_; }
  // REQUIRES: n <= size().
  Result<OwnedBody> Take(uint64_t n);

 private:
  struct Segment {
    std::string data;  // memory piece; bytes before `begin` were taken
    size_t begin = 0;
    int fd = -1;  // file piece when >= 0
    uint64_t offset = 0;
    uint64_t length = 0;
    uint64_t size() const { return fd >= 0 ? length : data.size() - begin; }
  };
  std::deque<Segment> segments_;
  uint64_t size_ = 0;
};

}  // namespace ferry
