// Changes to the tree: new files, directories and symlinks, unlink, rmdir and rename. Each is
// one transaction of the state database holding the local change and the bucket operations it
// owes (journaled, run in order before any upload).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "gateway/gateway.h"
#include "gateway/posix_error.h"

namespace ferry::gateway {

Result<Attributes> Gateway::MakeChild(uint64_t parent, std::string_view name, NodeKind kind,
                                      uint32_t mode, uint32_t uid, uint32_t gid,
                                      std::string_view symlink_target, uint64_t* open_handle) {
  FERRY_RETURN_IF_ERROR(CheckName(name));
  std::unique_lock lock(mu_);
  Entry* dir = Find(parent);
  if (!dir) return Status::NotFound("inode " + std::to_string(parent));
  if (!dir->node.is_dir()) return PosixError(ENOTDIR, std::string(name));
  FERRY_RETURN_IF_ERROR(EnsureListed(lock, parent, false));
  if (Child(parent, name)) return PosixError(EEXIST, std::string(name));
  StateDb::Batch batch;
  Node n = NewNode(parent, name, kind, batch);
  n.mode = mode & 07777;
  n.uid = uid;
  n.gid = gid;
  n.attrs_exact = true;
  if (kind == NodeKind::kDirectory) n.listed_at_ns = Now();  // new here: nothing to list yet
  if (kind == NodeKind::kSymlink) {
    n.symlink_target = std::string(symlink_target);
    n.size = symlink_target.size();
  }
  if (kind == NodeKind::kFile) {
    // The data file exists from the start: an empty file is uploaded as one. It was
    // usually made ahead (files_ahead.h); what a crash left in it is cut.
    const std::string path = DataPath(n.ino);
    int fd = ::open(path.c_str(), O_TRUNC | O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
      fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) return Status::FromErrno(path, errno);
    ::close(fd);
  }
  const uint64_t ino = n.ino;
  Insert(std::move(n));
  Entry& e = *Find(ino);
  if (open_handle) {
    *open_handle = next_handle_++;
    handles_[*open_handle] = Handle{ino, true, -1};
    e.open_writers++;
  }
  MarkChanged(e, true, 0);  // a directory's change is its marker object
  Save(e, batch);
  FERRY_RETURN_IF_ERROR(CommitLocked(batch, false));
  return AttributesOf(e.node);
}

Result<Attributes> Gateway::CreateFile(uint64_t parent, std::string_view name, uint32_t mode,
                                       uint32_t uid, uint32_t gid) {
  return MakeChild(parent, name, NodeKind::kFile, mode, uid, gid, "");
}

Result<std::pair<Attributes, uint64_t>> Gateway::CreateAndOpenFile(uint64_t parent,
                                                                   std::string_view name,
                                                                   uint32_t mode, uint32_t uid,
                                                                   uint32_t gid) {
  uint64_t handle = 0;
  FERRY_ASSIGN_OR_RETURN(Attributes a,
                         MakeChild(parent, name, NodeKind::kFile, mode, uid, gid, "", &handle));
  return std::make_pair(a, handle);
}

Result<Attributes> Gateway::MakeDirectory(uint64_t parent, std::string_view name, uint32_t mode,
                                          uint32_t uid, uint32_t gid) {
  return MakeChild(parent, name, NodeKind::kDirectory, mode, uid, gid, "");
}

Result<Attributes> Gateway::MakeSymlink(uint64_t parent, std::string_view name,
                                        std::string_view target, uint32_t uid, uint32_t gid) {
  if (target.empty() || target.size() > 4096) return PosixError(EINVAL, "symlink target");
  return MakeChild(parent, name, NodeKind::kSymlink, 0777, uid, gid, target);
}

Status Gateway::Unlink(uint64_t parent, std::string_view name) {
  std::unique_lock lock(mu_);
  FERRY_RETURN_IF_ERROR(EnsureListed(lock, parent, false));
  Entry* e = Child(parent, name);
  if (!e) return Status::NotFound(std::string(name));
  if (e->node.is_dir()) return PosixError(EISDIR, std::string(name));
  const uint64_t ino = e->node.ino;
  WaitNotUploading(lock, ino);
  e = Find(ino);
  if (!e) return Status::NotFound(std::string(name));
  StateDb::Batch batch;
  // The object goes unless the file never reached the bucket under this name.
  if (!e->node.etag.empty()) batch.add_ops.push_back({0, OpKind::kDelete, KeyOfLocked(e->node)});
  Erase(ino, batch);
  FERRY_RETURN_IF_ERROR(CommitLocked(batch, false));
  for (const Op& op : batch.add_ops) ops_.push_back(op);
  changed_.notify_all();
  work_.notify_all();
  return Status::OK();
}

Status Gateway::RemoveDirectory(uint64_t parent, std::string_view name) {
  std::unique_lock lock(mu_);
  FERRY_RETURN_IF_ERROR(EnsureListed(lock, parent, false));
  Entry* e = Child(parent, name);
  if (!e) return Status::NotFound(std::string(name));
  if (!e->node.is_dir()) return PosixError(ENOTDIR, std::string(name));
  const uint64_t ino = e->node.ino;
  FERRY_RETURN_IF_ERROR(EnsureListed(lock, ino, false));
  auto below = by_name_.lower_bound({ino, ""});
  if (below != by_name_.end() && below->first.first == ino) {
    return PosixError(ENOTEMPTY, std::string(name));
  }
  WaitNotUploading(lock, ino);
  e = Find(ino);
  if (!e) return Status::NotFound(std::string(name));
  StateDb::Batch batch;
  batch.add_ops.push_back({0, OpKind::kDelete, KeyOfLocked(e->node)});  // its marker, if any
  Erase(ino, batch);
  FERRY_RETURN_IF_ERROR(CommitLocked(batch, false));
  for (const Op& op : batch.add_ops) ops_.push_back(op);
  changed_.notify_all();
  work_.notify_all();
  return Status::OK();
}

Status Gateway::Rename(uint64_t parent, std::string_view name, uint64_t new_parent,
                       std::string_view new_name, bool noreplace) {
  FERRY_RETURN_IF_ERROR(CheckName(new_name));
  std::unique_lock lock(mu_);
  FERRY_RETURN_IF_ERROR(EnsureListed(lock, parent, false));
  FERRY_RETURN_IF_ERROR(EnsureListed(lock, new_parent, false));
  Entry* src = Child(parent, name);
  if (!src) return Status::NotFound(std::string(name));
  const uint64_t ino = src->node.ino;
  if (src->node.is_dir()) {
    // The tree below is listed now, so that its names are known under the new name before
    // the bucket has moved them (the new prefix lists nothing until then).
    std::vector<uint64_t> todo = {ino};
    for (size_t i = 0; i < todo.size(); ++i) {
      FERRY_RETURN_IF_ERROR(EnsureListed(lock, todo[i], false));
      for (auto it = by_name_.lower_bound({todo[i], ""});
           it != by_name_.end() && it->first.first == todo[i]; ++it) {
        const Entry* child = Find(it->second);
        if (child && child->node.is_dir()) todo.push_back(it->second);
      }
    }
    src = Child(parent, name);
    if (!src || src->node.ino != ino) return Status::NotFound(std::string(name));
  }
  Entry* to_dir = Find(new_parent);
  if (!to_dir || !to_dir->node.is_dir()) return PosixError(ENOTDIR, "rename");
  // A directory cannot go below itself.
  for (const Entry* p = to_dir; p; p = p->node.ino == kRootIno ? nullptr : Find(p->node.parent)) {
    if (p->node.ino == ino) return PosixError(EINVAL, "rename into itself");
  }
  if (parent == new_parent && name == new_name) return Status::OK();
  // Nothing of the moved tree may be on its way to the bucket meanwhile.
  changed_.wait(lock, [&] {
    const Entry* e = Find(ino);
    if (!e) return true;
    if (e->uploading || e->writers > 0) return false;
    if (!e->node.is_dir()) return true;
    const std::string prefix = KeyOfLocked(e->node);
    for (const auto& [other, oe] : nodes_) {
      if (oe.uploading && KeyOfLocked(oe.node).starts_with(prefix)) return false;
    }
    return true;
  });
  src = Find(ino);
  if (!src) return Status::NotFound(std::string(name));
  StateDb::Batch batch;
  if (Entry* dst = Child(new_parent, new_name)) {
    if (noreplace) return PosixError(EEXIST, std::string(new_name));
    const uint64_t dst_ino = dst->node.ino;
    if (dst->node.is_dir()) {
      if (!src->node.is_dir()) return PosixError(EISDIR, std::string(new_name));
      FERRY_RETURN_IF_ERROR(EnsureListed(lock, dst_ino, false));
      auto below = by_name_.lower_bound({dst_ino, ""});
      if (below != by_name_.end() && below->first.first == dst_ino) {
        return PosixError(ENOTEMPTY, std::string(new_name));
      }
    } else if (src->node.is_dir()) {
      return PosixError(ENOTDIR, std::string(new_name));
    }
    WaitNotUploading(lock, dst_ino);
    src = Find(ino);
    dst = Find(dst_ino);
    if (!src) return Status::NotFound(std::string(name));
    if (dst) {
      // The replaced object goes first unless the copy below overwrites it anyway.
      if (!dst->node.etag.empty() || dst->node.is_dir()) {
        batch.add_ops.push_back({0, OpKind::kDelete, KeyOfLocked(dst->node)});
      }
      Erase(dst_ino, batch);
    }
  }
  const std::string old_key = KeyOfLocked(src->node);
  const bool in_bucket = src->node.is_dir() || !src->node.etag.empty();
  by_name_.erase({src->node.parent, src->node.name});
  src->node.parent = new_parent;
  src->node.name = std::string(new_name);
  by_name_[{new_parent, src->node.name}] = ino;
  src->node.ctime_ns = Now();
  const std::string new_key = KeyOfLocked(src->node);
  if (in_bucket) {
    if (src->node.is_dir()) {
      batch.add_ops.push_back({0, OpKind::kMovePrefix, old_key, new_key});
    } else {
      batch.add_ops.push_back({0, OpKind::kCopy, old_key, new_key, src->node.etag});
      batch.add_ops.push_back({0, OpKind::kDelete, old_key});
    }
  }
  Save(*src, batch);
  FERRY_RETURN_IF_ERROR(CommitLocked(batch, false));
  for (const Op& op : batch.add_ops) ops_.push_back(op);
  changed_.notify_all();
  work_.notify_all();
  return Status::OK();
}

}  // namespace ferry::gateway
