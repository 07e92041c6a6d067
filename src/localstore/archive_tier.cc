#include "localstore/archive_tier.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "localstore/fs_util.h"
#include "store/read_full.h"

namespace ferry::local {
namespace {

constexpr size_t kChunk = 4 << 20;

// Streams every byte of source (an object of bucket) into sink, a chunk at a time.
Status CopyAll(std::string_view bucket, ObjectReader& source,
               const std::function<Status(std::span<const char>)>& sink) {
  const uint64_t size = source.meta().size;
  std::vector<char> buffer(static_cast<size_t>(std::min<uint64_t>(size, kChunk)));
  for (uint64_t done = 0; done < size;) {
    const std::span<char> chunk(buffer.data(), std::min<uint64_t>(size - done, buffer.size()));
    FERRY_RETURN_IF_ERROR(ReadFull(source, done, chunk, bucket));
    FERRY_RETURN_IF_ERROR(sink(chunk));
    done += chunk.size();
  }
  return Status::OK();
}

bool ValidName(std::string_view name) {
  // "<bucket>/<hex>": what Store hands out; anything else is not ours to open.
  return !name.empty() && name.find("..") == std::string_view::npos && !name.starts_with('/');
}

class FileReader final : public ObjectReader {
 public:
  FileReader(ObjectMeta meta, UniqueFd fd) : meta_(std::move(meta)), fd_(std::move(fd)) {}
  const ObjectMeta& meta() const override { return meta_; }
  Result<size_t> ReadAt(uint64_t offset, std::span<char> out) override {
    if (offset >= meta_.size) return size_t{0};
    out = out.first(static_cast<size_t>(std::min<uint64_t>(out.size(), meta_.size - offset)));
    return PreadFull(fd_.get(), out, offset, "read archived object");
  }
  std::vector<Extent> Extents(uint64_t offset, uint64_t length) override {
    if (offset >= meta_.size) return {};
    length = std::min(length, meta_.size - offset);
    return {Extent{.fd = fd_.get(), .file_offset = offset, .length = length}};
  }

 private:
  ObjectMeta meta_;
  UniqueFd fd_;
};

class DirectoryArchive final : public ArchiveTier {
 public:
  DirectoryArchive(std::string root, bool fsync) : root_(std::move(root)), fsync_(fsync) {}

  std::string Describe() const override { return root_; }

  Result<std::string> Store(std::string_view bucket, ObjectReader& source) override {
    const std::string dir = root_ + "/" + std::string(bucket);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::Unavailable("archive " + root_ + ": " + IoError(dir, errno).message());
    }
    const std::string name = std::string(bucket) + "/" + RandomHex(16);
    const std::string path = root_ + "/" + name;
    const std::string tmp = path + ".tmp";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd.valid()) {
      return Status::Unavailable("archive " + root_ + ": " + IoError(tmp, errno).message());
    }
    Status st = CopyAll(bucket, source, [&](std::span<const char> data) {
      return WriteAll(fd.get(), data, "write archive copy");
    });
    if (st.ok()) st = Fsync(fd.get(), tmp, fsync_);
    if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = IoError(path, errno);
    if (st.ok()) st = FsyncDir(AT_FDCWD, dir, fsync_);
    if (!st.ok()) {
      ::unlink(tmp.c_str());
      return st;
    }
    return name;
  }

  Result<std::unique_ptr<ObjectReader>> Open(std::string_view name, ObjectMeta meta) override {
    if (!ValidName(name)) return Status::Corruption("archive: bad name " + std::string(name));
    const std::string path = root_ + "/" + std::string(name);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) return Status::NotFound("archive: " + path + " is missing");
      return Status::Unavailable("archive " + root_ + ": " + IoError(path, errno).message());
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || static_cast<uint64_t>(st.st_size) != meta.size) {
      return Status::Corruption("archive: " + path + " does not hold the object's " +
                                std::to_string(meta.size) + " bytes");
    }
    return std::unique_ptr<ObjectReader>(new FileReader(std::move(meta), std::move(fd)));
  }

  Status Remove(std::string_view name) override {
    if (!ValidName(name)) return Status::OK();
    const std::string path = root_ + "/" + std::string(name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return IoError(path, errno);
    return Status::OK();
  }

 private:
  const std::string root_;
  const bool fsync_;
};

// A reader of the tier's object that reports the archived version's metadata.
class RenamedReader final : public ObjectReader {
 public:
  RenamedReader(ObjectMeta meta, std::unique_ptr<ObjectReader> inner)
      : meta_(std::move(meta)), inner_(std::move(inner)) {}
  const ObjectMeta& meta() const override { return meta_; }
  Result<size_t> ReadAt(uint64_t offset, std::span<char> out) override {
    return inner_->ReadAt(offset, out);
  }

 private:
  ObjectMeta meta_;
  std::unique_ptr<ObjectReader> inner_;
};

class StoreArchive final : public ArchiveTier {
 public:
  StoreArchive(ObjectStore& store, std::string bucket, std::string prefix)
      : store_(store), bucket_(std::move(bucket)), prefix_(std::move(prefix)) {}

  std::string Describe() const override {
    return "s3://" + bucket_ + "/" + prefix_ + " at " + store_.Info().endpoint_id;
  }

  Result<std::string> Store(std::string_view bucket, ObjectReader& source) override {
    const std::string name = std::string(bucket) + "/" + RandomHex(16);
    PutObjectRequest req;
    req.bucket = bucket_;
    req.key = prefix_ + name;
    req.size = source.meta().size;
    FERRY_ASSIGN_OR_RETURN(auto writer, store_.PutObject(req));
    FERRY_RETURN_IF_ERROR(
        CopyAll(bucket, source, [&](std::span<const char> data) { return writer->Append(data); }));
    FERRY_ASSIGN_OR_RETURN(ObjectMeta stored, writer->Commit());
    if (stored.size != source.meta().size) {
      return Status::Corruption("archive: " + Describe() + " kept " + std::to_string(stored.size) +
                                " bytes of " + std::to_string(source.meta().size));
    }
    return name;
  }

  Result<std::unique_ptr<ObjectReader>> Open(std::string_view name, ObjectMeta meta) override {
    if (!ValidName(name)) return Status::Corruption("archive: bad name " + std::string(name));
    FERRY_ASSIGN_OR_RETURN(auto inner, store_.OpenObject(bucket_, prefix_ + std::string(name)));
    if (inner->meta().size != meta.size) {
      return Status::Corruption("archive: " + prefix_ + std::string(name) +
                                " does not hold the object's bytes");
    }
    return std::unique_ptr<ObjectReader>(new RenamedReader(std::move(meta), std::move(inner)));
  }

  Status Remove(std::string_view name) override {
    if (!ValidName(name)) return Status::OK();
    return store_.DeleteObject(bucket_, prefix_ + std::string(name));
  }

 private:
  ObjectStore& store_;
  const std::string bucket_;
  const std::string prefix_;
};

}  // namespace

std::unique_ptr<ArchiveTier> NewDirectoryArchive(std::string root, bool fsync) {
  return std::make_unique<DirectoryArchive>(std::move(root), fsync);
}

std::unique_ptr<ArchiveTier> NewStoreArchive(ObjectStore& store, std::string bucket,
                                             std::string prefix) {
  return std::make_unique<StoreArchive>(store, std::move(bucket), std::move(prefix));
}

}  // namespace ferry::local
