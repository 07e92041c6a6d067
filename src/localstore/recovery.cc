#include "localstore/recovery.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <unordered_set>

#include "localstore/bucket_index.h"

namespace ferry::local {
namespace {

constexpr const char* kFormatName = "ferry-local-store";

Result<std::string> ReadSmallFile(int dirfd, const std::string& path) {
  UniqueFd fd(::openat(dirfd, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return IoError("open " + path, errno);
  std::string out(4096, '\0');
  FERRY_ASSIGN_OR_RETURN(size_t n, PreadFull(fd.get(), out, 0, path));
  out.resize(n);
  return out;
}

Status WriteFileDurably(int dirfd, const std::string& dir, const std::string& name,
                        std::string_view content, bool fsync) {
  std::string tmp = dir + "/" + name + ".tmp";
  std::string path = dir + "/" + name;
  UniqueFd fd(::openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return IoError("create " + tmp, errno);
  FERRY_RETURN_IF_ERROR(WriteAll(fd.get(), content, tmp));
  FERRY_RETURN_IF_ERROR(Fsync(fd.get(), tmp, fsync));
  if (::renameat(dirfd, tmp.c_str(), dirfd, path.c_str()) != 0) {
    return IoError("rename " + tmp, errno);
  }
  return FsyncDir(dirfd, dir, fsync);
}

}  // namespace

Status PrepareRoot(int root_fd, bool fsync) {
  if (::mkdirat(root_fd, ".ferry", 0700) == 0) {
    FERRY_RETURN_IF_ERROR(Fsync(root_fd, "store root", fsync));
  } else if (errno != EEXIST) {
    return IoError("mkdir .ferry", errno);
  }
  auto text = ReadSmallFile(root_fd, ".ferry/format");
  if (text.ok()) {
    auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    bool ours = false;
    try {
      ours = j.is_object() && j.value("format", "") == kFormatName &&
             j.value("version", 0) == kLayoutVersion;
    } catch (const nlohmann::json::exception&) {
      ours = false;  // fields of the wrong type
    }
    if (!ours) {
      return Status::NotImplemented(".ferry/format: not a version " +
                                    std::to_string(kLayoutVersion) + " " + kFormatName +
                                    " root: " + text->substr(0, 100));
    }
    return Status::OK();
  }
  if (!text.status().IsNotFound()) return text.status();
  nlohmann::json j = {{"format", kFormatName}, {"version", kLayoutVersion}};
  return WriteFileDurably(root_fd, ".ferry", "format", j.dump() + "\n", fsync);
}

Result<UniqueFd> LockRoot(int root_fd) {
  UniqueFd fd(::openat(root_fd, ".ferry/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return IoError("open .ferry/lock", errno);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::Unavailable(".ferry/lock: the store root is in use by another server")
          .WithRetryable(false);
    }
    return IoError("flock .ferry/lock", errno);
  }
  return fd;
}

Status CleanScratch(int root_fd, bool fsync) {
  for (const char* dir : {".ferry/tmp", ".ferry/trash"}) {
    FERRY_RETURN_IF_ERROR(RemoveTree(root_fd, dir));
    FERRY_RETURN_IF_ERROR(MakeDir(root_fd, dir));
  }
  return FsyncDir(root_fd, ".ferry", fsync);
}

Result<bool> MarkDirty(int root_fd, bool fsync) {
  UniqueFd fd(::openat(root_fd, ".ferry/dirty", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    if (errno == EEXIST) return true;
    return IoError("create .ferry/dirty", errno);
  }
  FERRY_RETURN_IF_ERROR(FsyncDir(root_fd, ".ferry", fsync));
  return false;
}

Status MarkClean(int root_fd, bool fsync) {
  if (::unlinkat(root_fd, ".ferry/dirty", 0) != 0 && errno != ENOENT) {
    return IoError("unlink .ferry/dirty", errno);
  }
  return FsyncDir(root_fd, ".ferry", fsync);
}

Result<uint64_t> SweepStrayBlobs(Bucket& bucket) {
  std::unordered_set<BlobId, BlobIdHash> referenced;
  {
    FERRY_ASSIGN_OR_RETURN(DbPool::Lease db, bucket.Reader());
    FERRY_ASSIGN_OR_RETURN(auto blobs, index::ReferencedBlobs(*db));
    referenced.insert(blobs.begin(), blobs.end());
  }
  std::vector<std::pair<std::string, std::string>> stray;
  FERRY_RETURN_IF_ERROR(
      bucket.blobs().ForEachFile([&](const std::string& dir, const std::string& name) {
        auto id = BlobId::FromHex(name);
        if (!id || id->Hex().substr(0, 2) != dir || !referenced.contains(*id)) {
          stray.emplace_back(dir, name);
        }
      }));
  for (const auto& [dir, name] : stray) FERRY_RETURN_IF_ERROR(bucket.blobs().RemoveFile(dir, name));
  return static_cast<uint64_t>(stray.size());
}

}  // namespace ferry::local
