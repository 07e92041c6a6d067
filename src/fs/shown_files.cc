#include "fs/shown_files.h"

#include <sys/stat.h>

namespace ferry::fs {

ShownFiles::ShownFiles(Namespace& names, BlockReader& reader, ThreadPool& read_ahead_pool,
                       ShownFilesOptions options)
    : names_(names),
      reader_(reader),
      shared_reader_(std::shared_ptr<void>(), &reader),
      pool_(read_ahead_pool),
      options_(std::move(options)) {}

void ShownFiles::NoteVersion(const NodeAttributes& a) {
  if (!S_ISREG(a.mode)) return;
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = files_.try_emplace(a.ino, File{a.object, nullptr});
    if (inserted || it->second.object.etag == a.object.etag) return;
    it->second = File{a.object, nullptr};
  }
  if (invalidate_) invalidate_(a.ino, {});
}

Result<ShownFiles::File> ShownFiles::FileOf(uint64_t ino) {
  {
    std::lock_guard lock(mu_);
    auto it = files_.find(ino);
    if (it != files_.end() &&
        (it->second.ahead || it->second.object.size <= reader_.block_size())) {
      return it->second;
    }
  }
  // Shown in an earlier life of the mount, or not read yet.
  FERRY_ASSIGN_OR_RETURN(NodeAttributes a, names_.GetAttributes(ino));
  if (!S_ISREG(a.mode)) return Status::InvalidArgument("not a file");
  NoteVersion(a);
  std::lock_guard lock(mu_);
  File& file = files_[ino];
  if (file.object.etag.empty()) file.object = a.object;
  if (!file.ahead && file.object.size > reader_.block_size()) {
    file.ahead =
        std::make_shared<ReadAhead>(shared_reader_, pool_, file.object, options_.read_ahead_blocks,
                                    options_.read_ahead_run_blocks);
  }
  if (!file.behind && options_.drop_behind_bytes > 0 &&
      file.object.size > options_.drop_behind_bytes) {
    file.behind = std::make_shared<DropBehind>(options_.drop_behind_bytes);
  }
  return file;
}

Result<BlockReader::Slices> ShownFiles::Read(uint64_t ino, uint64_t offset, size_t size) {
  FERRY_ASSIGN_OR_RETURN(File file, FileOf(ino));
  // A read from the start is where a file's reading begins (the ordered prefetch follows the
  // reader with it).
  if (offset == 0 && options_.on_open) options_.on_open(file.object);
  if (file.ahead) file.ahead->OnRead(offset, size);
  if (file.behind) {
    if (auto dropped = file.behind->OnRead(offset, size); dropped && invalidate_) {
      invalidate_(ino, *dropped);
    }
  }
  return reader_.ReadSlices(file.object, offset, size);
}

std::optional<BlockReader::Slices> ShownFiles::TakeUnread(uint64_t ino) {
  ObjectVersion object;
  {
    std::lock_guard lock(mu_);
    auto it = files_.find(ino);
    if (it == files_.end() || it->second.offered) return std::nullopt;
    it->second.offered = true;
    object = it->second.object;
  }
  auto data = reader_.TakeUnread(object);
  // No read from the start will come for the ordered prefetch to follow: this is it.
  if (data && options_.on_open) options_.on_open(object);
  return data;
}

void ShownFiles::Forget(uint64_t ino) {
  std::lock_guard lock(mu_);
  files_.erase(ino);
}

}  // namespace ferry::fs
