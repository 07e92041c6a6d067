// Default implementations of the optional ObjectStore/ObjectWriter operations.
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "ferry/object_store.h"

namespace ferry {

Status ObjectWriter::AppendFile(int fd, uint64_t offset, uint64_t length) {
  std::vector<char> buf(std::min<uint64_t>(std::max<uint64_t>(length, 1), 1 << 20));
  while (length > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(length, buf.size()));
    ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("read", errno);
    if (n == 0) return Status::IOError("file shrank while being read");
    FERRY_RETURN_IF_ERROR(Append(std::span<const char>(buf.data(), static_cast<size_t>(n))));
    offset += static_cast<uint64_t>(n);
    length -= static_cast<uint64_t>(n);
  }
  return Status::OK();
}

Result<std::vector<Status>> ObjectStore::DeleteObjects(std::string_view bucket,
                                                       const std::vector<std::string>& keys) {
  std::vector<Status> out;
  out.reserve(keys.size());
  for (const auto& key : keys) out.push_back(DeleteObject(bucket, key));
  return out;
}

}  // namespace ferry
