#include "sync/content_checksum.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "core/checksum.h"

namespace ferry::sync {
namespace {

constexpr size_t kReadBytes = 1 << 20;

Result<std::string> FileDigest(const std::string& path, DigestKind kind) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(path, errno);
  auto hasher = NewHasher(kind);
  auto buf = std::make_unique_for_overwrite<char[]>(kReadBytes);
  Status st;
  for (;;) {
    ssize_t n = ::read(fd, buf.get(), kReadBytes);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = Status::FromErrno(path, errno);
      break;
    }
    if (n == 0) break;
    hasher->Update(std::span<const char>(buf.get(), static_cast<size_t>(n)));
  }
  ::close(fd);
  FERRY_RETURN_IF_ERROR(st);
  return hasher->Finish();
}

}  // namespace

Result<std::string> LocalFileChecksum(const std::string& path, ChecksumAlgorithm algorithm) {
  auto kind = DigestKindFor(algorithm);
  FERRY_ASSIGN_OR_RETURN(std::string raw, FileDigest(path, kind ? *kind : DigestKind::kCrc32c));
  return Base64Encode(raw);
}

Result<std::string> LocalFileMd5(const std::string& path) {
  FERRY_ASSIGN_OR_RETURN(std::string raw, FileDigest(path, DigestKind::kMd5));
  return HexEncode(raw);
}

Result<std::string> ContentChecksum(ObjectStore& store, bool is_s3, const std::string& bucket,
                                    const std::string& where, EntryKind kind) {
  if (!is_s3) {
    if (kind == EntryKind::kSymlink) {
      std::string target(4096, '\0');
      ssize_t n = ::readlink(where.c_str(), target.data(), target.size());
      if (n < 0) return Status::FromErrno(where, errno);
      target.resize(static_cast<size_t>(n));
      return Base64Encode(Digest(DigestKind::kCrc32c, target));
    }
    return LocalFileChecksum(where, ChecksumAlgorithm::kCrc32c);
  }
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta, store.HeadObject(bucket, where));
  if (meta.checksum && !meta.checksum->composite &&
      meta.checksum->algorithm == ChecksumAlgorithm::kCrc32c && !meta.checksum->value.empty()) {
    return meta.checksum->value;
  }
  FERRY_ASSIGN_OR_RETURN(auto reader, store.OpenObject(bucket, where));
  auto hasher = NewHasher(DigestKind::kCrc32c);
  auto buf = std::make_unique_for_overwrite<char[]>(kReadBytes);
  for (uint64_t offset = 0; offset < reader->meta().size;) {
    FERRY_ASSIGN_OR_RETURN(size_t n,
                           reader->ReadAt(offset, std::span<char>(buf.get(), kReadBytes)));
    if (n == 0) return Status::Unavailable("s3://" + bucket + "/" + where + ": ended early");
    hasher->Update(std::span<const char>(buf.get(), n));
    offset += n;
  }
  return Base64Encode(hasher->Finish());
}

}  // namespace ferry::sync
