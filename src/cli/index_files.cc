#include "cli/index_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "transfer/location.h"

namespace ferry::cli {
namespace {

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(path, errno);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

}  // namespace

std::string DefaultIndexKey(const std::string& prefix) {
  if (prefix.empty()) return ".ferry-index";
  std::string key = prefix;
  if (key.ends_with('/')) key.pop_back();
  return key + ".ferry-index";
}

Result<std::shared_ptr<index::IndexReader>> OpenIndexAt(ObjectStore& store,
                                                        const std::string& location, bool whole) {
  FERRY_ASSIGN_OR_RETURN(auto loc, transfer::ParseLocation(location));
  return index::OpenIndex(store, loc.is_s3, loc.is_s3 ? loc.bucket : loc.path, loc.key, whole);
}

Result<std::unique_ptr<IndexOutput>> IndexOutput::Create(ObjectStore& store, std::string location) {
  FERRY_ASSIGN_OR_RETURN(auto loc, transfer::ParseLocation(location));
  if (loc.is_s3 && (loc.key.empty() || loc.key.ends_with('/'))) {
    return Status::InvalidArgument(location + ": an index is an object, s3://BUCKET/KEY");
  }
  std::unique_ptr<IndexOutput> out(new IndexOutput(store, std::move(location)));
  // Beside the file it replaces (a rename stays on one file system), or in TMPDIR.
  std::string dir = loc.is_s3 ? (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp")
                              : std::filesystem::path(loc.path).parent_path().string();
  if (dir.empty()) dir = ".";
  std::string pattern = dir + "/.ferry-index-XXXXXX";
  out->fd_ = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (out->fd_ < 0) return Status::FromErrno(dir, errno);
  out->temp_path_ = pattern;
  return out;
}

IndexOutput::~IndexOutput() {
  if (fd_ >= 0) ::close(fd_);
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

index::IndexWriter::Sink IndexOutput::sink() {
  return [this](std::string_view bytes) { return WriteAll(fd_, bytes, temp_path_); };
}

std::string IndexOutput::KeyIn(const std::string& bucket) const {
  auto loc = transfer::ParseLocation(location_);
  return loc.ok() && loc->is_s3 && loc->bucket == bucket ? loc->key : "";
}

Status IndexOutput::Commit() {
  FERRY_ASSIGN_OR_RETURN(auto loc, transfer::ParseLocation(location_));
  if (!loc.is_s3) {
    // mkostemp made it 0600; an index is as readable as the listing it holds.
    if (::fchmod(fd_, 0644) != 0) return Status::FromErrno(temp_path_, errno);
    if (::fsync(fd_) != 0) return Status::FromErrno(temp_path_, errno);
    if (::rename(temp_path_.c_str(), loc.path.c_str()) != 0) {
      return Status::FromErrno(loc.path, errno);
    }
    temp_path_.clear();
    return Status::OK();
  }
  off_t size = ::lseek(fd_, 0, SEEK_END);
  if (size < 0) return Status::FromErrno(temp_path_, errno);
  PutObjectRequest req;
  req.bucket = loc.bucket;
  req.key = loc.key;
  req.size = static_cast<uint64_t>(size);
  req.headers.content_type = "application/vnd.ferry.index";
  FERRY_ASSIGN_OR_RETURN(auto writer, store_.PutObject(req));
  FERRY_RETURN_IF_ERROR(writer->AppendFile(fd_, 0, static_cast<uint64_t>(size)));
  return writer->Commit().status().Annotate(location_);
}

}  // namespace ferry::cli
