#include "localstore/blob_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ferry::local {
namespace {

constexpr size_t kSinkBuffer = 1 << 20;
constexpr size_t kDirectAlign = 4096;

std::string FanoutName(int i) {
  char name[3];
  std::snprintf(name, sizeof(name), "%02x", i);
  return name;
}

}  // namespace

Status BlobStore::Init(int bucket_dirfd) {
  FERRY_RETURN_IF_ERROR(MakeDir(bucket_dirfd, "blobs"));
  FERRY_ASSIGN_OR_RETURN(UniqueFd blobs, OpenDir(bucket_dirfd, "blobs"));
  for (int i = 0; i < 256; ++i) FERRY_RETURN_IF_ERROR(MakeDir(blobs.get(), FanoutName(i)));
  return Status::OK();
}

Result<std::unique_ptr<BlobStore>> BlobStore::Open(int bucket_dirfd, bool fsync) {
  FERRY_ASSIGN_OR_RETURN(UniqueFd dir, OpenDir(bucket_dirfd, "blobs"));
  return std::unique_ptr<BlobStore>(new BlobStore(std::move(dir), fsync));
}

Result<BlobStore::NewBlob> BlobStore::Create() {
  BlobId id = BlobId::Random();
  std::string path = id.RelativePath();
  int fd = ::openat(dir_.get(), path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("create blob " + path, errno);
  return NewBlob{id, UniqueFd(fd)};
}

Status BlobStore::Sync(const BlobId& id, int fd) {
  if (!fsync_) return Status::OK();
  std::string path = id.RelativePath();
  FERRY_RETURN_IF_ERROR(Fsync(fd, "blob " + path));
  return FsyncDir(dir_.get(), path.substr(0, 2));
}

Result<BlobId> BlobStore::Link(const BlobId& existing) {
  BlobId id = BlobId::Random();
  const std::string from = existing.RelativePath(), to = id.RelativePath();
  if (::linkat(dir_.get(), from.c_str(), dir_.get(), to.c_str(), 0) != 0) {
    return IoError("link blob " + from, errno);
  }
  if (fsync_) {
    Status s = FsyncDir(dir_.get(), to.substr(0, 2));
    if (!s.ok()) {
      (void)Remove(id);
      return s;
    }
  }
  return id;
}

Result<UniqueFd> BlobStore::OpenForRead(const BlobId& id) const {
  std::string path = id.RelativePath();
  int fd = ::openat(dir_.get(), path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("open blob " + path, errno);
  return UniqueFd(fd);
}

Status BlobStore::Remove(const BlobId& id) {
  std::string path = id.RelativePath();
  if (::unlinkat(dir_.get(), path.c_str(), 0) != 0 && errno != ENOENT) {
    return IoError("unlink blob " + path, errno);
  }
  return Status::OK();
}

Status BlobStore::ForEachFile(
    const std::function<void(const std::string&, const std::string&)>& fn) const {
  for (int i = 0; i < 256; ++i) {
    std::string sub = FanoutName(i);
    int fd = ::openat(dir_.get(), sub.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      return IoError("open blobs/" + sub, errno);
    }
    DIR* d = ::fdopendir(fd);
    if (d == nullptr) {
      ::close(fd);
      return IoError("opendir blobs/" + sub, errno);
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(d);
    for (const auto& name : names) fn(sub, name);
  }
  return Status::OK();
}

Status BlobStore::RemoveFile(const std::string& fanout_dir, const std::string& name) {
  return RemoveTree(dir_.get(), fanout_dir + "/" + name);
}

void BlobSink::FreeDeleter::operator()(char* p) const {
  std::free(p);
}

BlobSink::BlobSink(BlobStore* store, BlobStore::NewBlob blob)
    : store_(store), id_(blob.id), fd_(std::move(blob.fd)) {}

Result<std::unique_ptr<BlobSink>> BlobSink::Create(BlobStore* store) {
  FERRY_ASSIGN_OR_RETURN(BlobStore::NewBlob blob, store->Create());
  return std::unique_ptr<BlobSink>(new BlobSink(store, std::move(blob)));
}

BlobSink::~BlobSink() {
  if (!keep_) {
    direct_fd_.Reset();
    fd_.Reset();
    (void)store_->Remove(id_);
  }
}

int BlobSink::DirectFd() {
  if (!direct_tried_) {
    direct_tried_ = true;
    const std::string self = "/proc/self/fd/" + std::to_string(fd_.get());
    direct_fd_ = UniqueFd(::open(self.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC));
  }
  return direct_fd_.get();
}

Status BlobSink::Append(std::span<const char> data) {
  size_ += data.size();
  if (!buffer_) {
    void* raw = nullptr;
    if (::posix_memalign(&raw, kDirectAlign, kSinkBuffer) != 0) {
      return Status::ResourceExhausted("no memory for a blob buffer");
    }
    buffer_.reset(static_cast<char*>(raw));
  }
  while (!data.empty()) {
    // A full buffer is written only when more bytes come: a body of exactly one buffer
    // stays buffered (small enough to be read back soon).
    if (buffered_ == kSinkBuffer) FERRY_RETURN_IF_ERROR(Flush(/*direct=*/true));
    const size_t n = std::min(data.size(), kSinkBuffer - buffered_);
    std::memcpy(buffer_.get() + buffered_, data.data(), n);
    buffered_ += n;
    data = data.subspan(n);
  }
  return Status::OK();
}

Status BlobSink::CopyFrom(int src_fd, uint64_t src_offset, std::span<const char> data) {
  if (!copy_range_ok_) return Append(data);
  FERRY_RETURN_IF_ERROR(Flush(/*direct=*/true));
  auto in_off = static_cast<loff_t>(src_offset);
  auto out_off = static_cast<loff_t>(written_);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::copy_file_range(src_fd, &in_off, fd_.get(), &out_off, data.size() - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // Not supported here (other file system, old kernel): write the bytes we already hold.
      copy_range_ok_ = false;
      size_ += done;
      written_ += done;
      return Append(data.subspan(done));
    }
    done += static_cast<size_t>(n);
  }
  size_ += done;
  written_ += done;
  return Status::OK();
}

Status BlobSink::Flush(bool direct) {
  if (buffered_ == 0) return Status::OK();
  const std::span<const char> bytes(buffer_.get(), buffered_);
  const std::string what = "write blob " + id_.Hex();
  Status s = Status::IOError(what);
  if (direct && buffered_ == kSinkBuffer && written_ % kDirectAlign == 0 && DirectFd() >= 0) {
    s = PwriteAll(direct_fd_.get(), bytes, written_, what);
  }
  if (!s.ok()) s = PwriteAll(fd_.get(), bytes, written_, what);
  written_ += buffered_;
  buffered_ = 0;
  return s;
}

Status BlobSink::Finish() {
  // The last buffer is written through the page cache: a body of one buffer (1 MiB) is small
  // enough to be read back soon, and its pages then serve that read.
  FERRY_RETURN_IF_ERROR(Flush(/*direct=*/false));
  return store_->Sync(id_, fd_.get());
}

}  // namespace ferry::local
