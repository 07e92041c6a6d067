#include "fs/namespace.h"

#include <sys/stat.h>

#include <algorithm>

#include "s3/posix_meta.h"

namespace ferry::fs {

Namespace::Namespace(ObjectStore& store, NamespaceOptions options)
    : store_(store),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &SystemClock()),
      mounted_at_ns_(clock_->NowNanos()) {
  Node root;
  root.parent = kRootIno;
  root.is_directory = true;
  root.references = 1;  // the mount's own, never dropped
  nodes_.emplace(kRootIno, std::move(root));
}

Result<std::vector<DirectoryEntry>> Namespace::EntriesOf(uint64_t dir_ino,
                                                         const std::string& path) {
  {
    std::lock_guard lock(mu_);
    auto it = listings_.find(dir_ino);
    if (it != listings_.end() && Now() - it->second.fetched_at_ns < options_.metadata_ttl_ns) {
      return it->second.entries;
    }
  }
  // Listed without the lock: a slow listing does not hold up other directories.
  FERRY_ASSIGN_OR_RETURN(auto entries,
                         ListDirectory(store_, options_.bucket, options_.prefix + path));
  std::lock_guard lock(mu_);
  Listing& l = listings_[dir_ino];
  l.entries = entries;
  l.fetched_at_ns = Now();
  return entries;
}

uint64_t Namespace::InodeFor(uint64_t parent, const std::string& parent_path,
                             const DirectoryEntry& e) {
  auto key = std::make_pair(parent, e.name);
  auto it = by_name_.find(key);
  if (it != by_name_.end()) {
    Node& node = nodes_.at(it->second);
    if (node.is_directory == e.is_directory) {
      if (!e.is_directory && node.listed.etag != e.etag) node.attributes.reset();  // changed
      node.listed = e;
      return it->second;
    }
    // A file became a directory or the reverse: a new inode for the new thing.
    by_name_.erase(it);
  }
  uint64_t ino = next_ino_++;
  Node node;
  node.parent = parent;
  node.name = e.name;
  node.path = parent_path + e.name + (e.is_directory ? "/" : "");
  node.is_directory = e.is_directory;
  node.listed = e;
  nodes_.emplace(ino, std::move(node));
  by_name_.emplace(key, ino);
  return ino;
}

NodeAttributes Namespace::DefaultAttributes(uint64_t ino, const Node& node) const {
  NodeAttributes a;
  a.ino = ino;
  a.uid = options_.uid;
  a.gid = options_.gid;
  if (node.is_directory) {
    a.mode = S_IFDIR | options_.dir_mode;
    a.mtime_ns = a.atime_ns = mounted_at_ns_;
    return a;
  }
  a.mode = S_IFREG | options_.file_mode;
  a.size = node.listed.size;
  a.mtime_ns = a.atime_ns = node.listed.last_modified_ns;
  a.object = {options_.bucket, options_.prefix + node.path, node.listed.etag, node.listed.size};
  return a;
}

Result<NodeAttributes> Namespace::Lookup(uint64_t parent, std::string_view name) {
  std::string parent_path;
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(parent);
    if (it == nodes_.end() || !it->second.is_directory) {
      return Status::NotFound("inode " + std::to_string(parent) + " is not a known directory");
    }
    parent_path = it->second.path;
  }
  FERRY_ASSIGN_OR_RETURN(auto entries, EntriesOf(parent, parent_path));
  auto e = std::lower_bound(entries.begin(), entries.end(), name,
                            [](const DirectoryEntry& d, std::string_view n) { return d.name < n; });
  if (e == entries.end() || e->name != name) {
    return Status::NotFound(options_.prefix + parent_path + std::string(name));
  }
  uint64_t ino;
  {
    std::lock_guard lock(mu_);
    ino = InodeFor(parent, parent_path, *e);
    ++nodes_.at(ino).references;
  }
  return GetAttributes(ino);
}

Result<NodeAttributes> Namespace::GetAttributes(uint64_t ino) {
  Node snapshot;
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(ino);
    if (it == nodes_.end()) return Status::NotFound("inode " + std::to_string(ino));
    Node& node = it->second;
    if (node.is_directory) return DefaultAttributes(ino, node);
    if (node.attributes && Now() - node.attributes_at_ns < options_.metadata_ttl_ns) {
      return *node.attributes;
    }
    snapshot = node;
  }
  NodeAttributes a = DefaultAttributes(ino, snapshot);
  // The object's own metadata refines the defaults: mode, owner, times, a symlink's type.
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta, store_.HeadObject(options_.bucket, a.object.key));
  auto posix = s3::DecodePosixAttributes(meta.headers.user_metadata);
  if (posix.mode) {
    mode_t type = *posix.mode & S_IFMT;
    a.mode = (type == S_IFLNK ? S_IFLNK : S_IFREG) | (*posix.mode & 07777);
  }
  if (posix.uid) a.uid = *posix.uid;
  if (posix.gid) a.gid = *posix.gid;
  if (posix.mtime_ns) a.mtime_ns = *posix.mtime_ns;
  a.atime_ns = posix.atime_ns.value_or(a.mtime_ns);
  a.size = meta.size;
  a.object.etag = meta.etag;
  a.object.size = meta.size;
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  if (it != nodes_.end()) {
    it->second.attributes = a;
    it->second.attributes_at_ns = Now();
  }
  return a;
}

Result<std::vector<Namespace::Child>> Namespace::ReadDirectory(uint64_t ino) {
  std::string path;
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(ino);
    if (it == nodes_.end() || !it->second.is_directory) {
      return Status::NotFound("inode " + std::to_string(ino) + " is not a known directory");
    }
    path = it->second.path;
  }
  FERRY_ASSIGN_OR_RETURN(auto entries, EntriesOf(ino, path));
  std::vector<Child> children;
  children.reserve(entries.size());
  std::lock_guard lock(mu_);
  for (const auto& e : entries) {
    children.push_back({e.name, InodeFor(ino, path, e), e.is_directory});
  }
  return children;
}

void Namespace::Forget(uint64_t ino, uint64_t n) {
  std::lock_guard lock(mu_);
  if (ino == kRootIno) return;
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return;
  Node& node = it->second;
  node.references = n >= node.references ? 0 : node.references - n;
  if (node.references > 0) return;
  auto named = by_name_.find({node.parent, node.name});
  if (named != by_name_.end() && named->second == ino) by_name_.erase(named);
  listings_.erase(ino);
  nodes_.erase(it);
}

}  // namespace ferry::fs
