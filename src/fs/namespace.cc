#include "fs/namespace.h"

#include <sys/stat.h>

#include <algorithm>

#include "s3/intelligent_tiering.h"
#include "s3/posix_meta.h"
#include "s3/restore.h"

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
  directory_inodes_.emplace("", kRootIno);
  if (options_.only_paths) {
    for (const auto& path : *options_.only_paths) {
      for (size_t slash = path.find('/'); slash != std::string::npos;
           slash = path.find('/', slash + 1)) {
        shown_directories_.insert(path.substr(0, slash + 1));
      }
    }
  }
}

Result<Namespace::Entries> Namespace::EntriesOf(const std::string& path, bool refresh,
                                                std::vector<Change>* changes) {
  if (!refresh) {
    std::lock_guard lock(mu_);
    auto it = listings_.find(path);
    if (it != listings_.end() &&
        (Now() - it->second.fetched_at_ns < options_.metadata_ttl_ns || !options_.import.any())) {
      return it->second.entries;
    }
  }
  bool first = false;
  if (options_.indexed && !refresh) {
    std::lock_guard lock(mu_);
    first = !listings_.contains(path);
  }
  // Listed without the lock: a slow listing does not hold up other directories. An index
  // that cannot be read (a damaged block) costs a listing, not the directory.
  auto list = [&](ObjectStore& from) {
    return ListDirectory(from, options_.bucket, options_.prefix + path);
  };
  Result<std::vector<DirectoryEntry>> listed = list(first ? *options_.indexed : store_);
  if (first && !listed.ok()) listed = list(store_);
  FERRY_ASSIGN_OR_RETURN(auto fresh, std::move(listed));
  if (options_.only_paths) {
    std::erase_if(fresh, [&](const DirectoryEntry& e) {
      return e.is_directory ? !shown_directories_.contains(path + e.name + "/")
                            : !options_.only_paths->contains(path + e.name);
    });
  }
  std::lock_guard lock(mu_);
  auto it = listings_.find(path);
  if (it == listings_.end()) {
    Listing& l = listings_[path];
    l.entries = std::make_shared<const std::vector<DirectoryEntry>>(std::move(fresh));
    l.fetched_at_ns = Now();
    return l.entries;
  }
  std::vector<std::string> differing;
  it->second.entries = std::make_shared<const std::vector<DirectoryEntry>>(MergeListing(
      *it->second.entries, fresh, refresh ? ImportPolicy::All() : options_.import, &differing));
  it->second.fetched_at_ns = Now();
  if (changes) {
    auto dir = directory_inodes_.find(path);
    const uint64_t dir_ino = dir == directory_inodes_.end() ? 0 : dir->second;
    for (auto& name : differing) {
      auto named = dir_ino ? by_name_.find({dir_ino, name}) : by_name_.end();
      changes->push_back({dir_ino, std::move(name), named == by_name_.end() ? 0 : named->second});
    }
  }
  return it->second.entries;
}

uint64_t Namespace::InodeFor(uint64_t parent, const std::string& parent_path,
                             const DirectoryEntry& e) {
  auto key = std::make_pair(parent, e.name);
  auto it = by_name_.find(key);
  if (it != by_name_.end()) {
    Node& node = nodes_.at(it->second);
    if (node.is_directory == e.is_directory) {
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
  if (node.is_directory) directory_inodes_[node.path] = ino;
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
  a.object = {options_.bucket, options_.prefix + node.path, node.listed.etag, node.listed.size,
              s3::IsArchivedStorageClass(node.listed.storage_class) ||
                  node.listed.storage_class == s3::kIntelligentTiering};
  return a;
}

Result<std::pair<uint64_t, DirectoryEntry>> Namespace::LookupEntry(uint64_t parent,
                                                                   std::string_view name) {
  std::string parent_path;
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(parent);
    if (it == nodes_.end() || !it->second.is_directory) {
      return Status::NotFound("inode " + std::to_string(parent) + " is not a known directory");
    }
    parent_path = it->second.path;
  }
  FERRY_ASSIGN_OR_RETURN(Entries listed, EntriesOf(parent_path));
  const auto& entries = *listed;
  auto e = std::lower_bound(entries.begin(), entries.end(), name,
                            [](const DirectoryEntry& d, std::string_view n) { return d.name < n; });
  if (e == entries.end() || e->name != name) {
    return Status::NotFound(options_.prefix + parent_path + std::string(name));
  }
  std::lock_guard lock(mu_);
  uint64_t ino = InodeFor(parent, parent_path, *e);
  ++nodes_.at(ino).references;
  return std::make_pair(ino, *e);
}

Result<NodeAttributes> Namespace::Lookup(uint64_t parent, std::string_view name) {
  FERRY_ASSIGN_OR_RETURN(auto found, LookupEntry(parent, name));
  auto a = GetAttributes(found.first);
  if (!a.ok()) Forget(found.first, 1);  // the kernel counts only lookups that succeeded
  return a;
}

Result<uint64_t> Namespace::Walk(const std::string& path, std::vector<uint64_t>* taken) {
  uint64_t ino = kRootIno;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    std::string_view part = std::string_view(path).substr(start, slash - start);
    if (!part.empty() && part != ".") {
      FERRY_ASSIGN_OR_RETURN(auto found, LookupEntry(ino, part));
      taken->push_back(found.first);
      ino = found.first;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return ino;
}

Result<ObjectVersion> Namespace::Locate(const std::string& path) {
  std::vector<uint64_t> taken;
  auto ino = Walk(path, &taken);
  Result<ObjectVersion> out = Status::NotFound(options_.prefix + path + ": a directory");
  if (ino.ok()) {
    std::lock_guard lock(mu_);
    const Node& node = nodes_.at(*ino);
    if (!node.is_directory) out = DefaultAttributes(*ino, node).object;
  } else {
    out = ino.status();
  }
  for (uint64_t i : taken) Forget(i, 1);
  return out;
}

Result<ObjectVersion> Namespace::Warm(const std::string& path) {
  std::vector<uint64_t> taken;
  auto ino = Walk(path, &taken);
  auto attributes = ino.ok() ? GetAttributes(*ino) : Result<NodeAttributes>(ino.status());
  for (uint64_t i : taken) Forget(i, 1);
  if (!attributes.ok()) return attributes.status();
  if (S_ISDIR(attributes->mode)) return Status::NotFound(options_.prefix + path + ": a directory");
  return attributes->object;
}

Result<uint64_t> Namespace::Refresh(const std::string& path, bool recursive) {
  std::vector<uint64_t> taken;
  auto ino = Walk(path, &taken);
  std::vector<Change> changes;
  Status st = ino.status();
  if (st.ok()) {
    std::vector<std::string> directories;
    {
      std::lock_guard lock(mu_);
      Node& node = nodes_.at(*ino);
      if (!node.is_directory) {
        attributes_.erase(node.path);
        directories.push_back(node.path.substr(0, node.path.rfind('/') + 1));
      } else {
        directories.push_back(node.path);
        // The directories below that were listed: a range of the ordered map.
        for (auto it = listings_.upper_bound(node.path);
             recursive && it != listings_.end() && it->first.starts_with(node.path); ++it) {
          directories.push_back(it->first);
        }
      }
    }
    for (const auto& dir : directories) {
      st = RefreshDirectory(dir, &changes);
      if (!st.ok()) break;
    }
  }
  for (uint64_t i : taken) Forget(i, 1);
  FERRY_RETURN_IF_ERROR(st);
  if (listener_) {
    for (const auto& c : changes) {
      if (c.parent != 0) listener_(c);  // the kernel knows no entry of a directory it forgot
    }
  }
  return changes.size();
}

Status Namespace::RefreshDirectory(const std::string& path, std::vector<Change>* changes) {
  FERRY_RETURN_IF_ERROR(EntriesOf(path, /*refresh=*/true, changes).status());
  std::lock_guard lock(mu_);
  // Metadata can change without the ETag (a copy onto itself with new metadata): the files
  // directly in the directory are asked again.
  for (auto it = attributes_.lower_bound(path);
       it != attributes_.end() && it->first.starts_with(path);) {
    if (it->first.find('/', path.size()) == std::string::npos) {
      it = attributes_.erase(it);
    } else {
      ++it;
    }
  }
  return Status::OK();
}

const Namespace::KnownAttributes* Namespace::KnownLocked(const Node& node) const {
  // Without the changed import, attributes once read hold until a refresh.
  auto known = attributes_.find(node.path);
  if (known != attributes_.end() && known->second.listed_etag == node.listed.etag &&
      (Now() - known->second.at_ns < options_.metadata_ttl_ns || !options_.import.changed)) {
    return &known->second;
  }
  return nullptr;
}

Result<Namespace::KnownNow> Namespace::ReferenceListed(uint64_t ino) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return Status::NotFound("inode " + std::to_string(ino));
  Node& node = it->second;
  KnownNow now;
  now.attributes = DefaultAttributes(ino, node);
  now.exact = node.is_directory;
  if (const KnownAttributes* known = node.is_directory ? nullptr : KnownLocked(node)) {
    now.attributes = known->attributes;
    now.attributes.ino = ino;
    now.exact = true;
  }
  ++node.references;
  return now;
}

Result<NodeAttributes> Namespace::GetAttributes(uint64_t ino) {
  Node snapshot;
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(ino);
    if (it == nodes_.end()) return Status::NotFound("inode " + std::to_string(ino));
    Node& node = it->second;
    if (node.is_directory) return DefaultAttributes(ino, node);
    if (const KnownAttributes* known = KnownLocked(node)) {
      NodeAttributes a = known->attributes;
      a.ino = ino;
      return a;
    }
    snapshot = node;
  }
  NodeAttributes a = DefaultAttributes(ino, snapshot);
  // The object's own metadata refines the defaults: mode, owner, times, a symlink's type.
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta, MetadataOf(a.object, snapshot.listed));
  // Changed since the listing while changes are not taken in: the listed version stands,
  // without the new version's metadata.
  if (meta.etag == a.object.etag || options_.import.changed) {
    auto posix = s3::DecodePosixAttributes(meta.headers.user_metadata);
    if (posix.mode) {
      mode_t type = *posix.mode & S_IFMT;
      const bool link = type == S_IFLNK && meta.size <= kMaxSymlinkTarget;
      a.mode = (link ? S_IFLNK : S_IFREG) | (*posix.mode & 07777);
    }
    if (posix.uid) a.uid = *posix.uid;
    if (posix.gid) a.gid = *posix.gid;
    if (posix.mtime_ns) a.mtime_ns = *posix.mtime_ns;
    a.atime_ns = posix.atime_ns.value_or(a.mtime_ns);
    a.size = meta.size;
    a.object.etag = meta.etag;
    a.object.size = meta.size;
  }
  std::lock_guard lock(mu_);
  attributes_[snapshot.path] = {a, snapshot.listed.etag, Now()};
  return a;
}

Result<ObjectMeta> Namespace::MetadataOf(const ObjectVersion& object,
                                         const DirectoryEntry& listed) {
  AttributeCache* saved = options_.attribute_cache;
  if (saved) {
    if (auto meta = saved->Load(object, listed.last_modified_ns)) return *std::move(meta);
  }
  if (options_.indexed) {
    // (An index that cannot be read here costs a HEAD.)
    auto entry = options_.indexed->index().Find(object.key);
    if (entry.ok() && *entry && (*entry)->metadata_known && (*entry)->etag == listed.etag) {
      return index::MetaOf(**entry);
    }
  }
  BlockReader* small = options_.small_file_reader;
  // (An archived object's bytes cannot be read before it is restored: a HEAD asks.)
  const bool read_whole = small && !object.archived && object.size <= small->block_size() &&
                          !small->Cached(object, 0) && small->MayReadWhole(object.size);
  FERRY_ASSIGN_OR_RETURN(ObjectMeta meta, read_whole
                                              ? small->ReadSmallObject(object)
                                              : store_.HeadObject(options_.bucket, object.key));
  // Saved for the version listed only: the entry is found by the listing's ETag and date.
  if (saved && meta.etag == listed.etag) saved->Save(object, listed.last_modified_ns, meta);
  return meta;
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
  FERRY_ASSIGN_OR_RETURN(Entries listed, EntriesOf(path));
  const auto& entries = *listed;
  std::vector<Child> children;
  children.reserve(entries.size());
  std::lock_guard lock(mu_);
  for (const auto& e : entries) {
    uint64_t child = InodeFor(ino, path, e);
    Child c{e.name, child, e.is_directory, {}};
    if (!e.is_directory) c.object = DefaultAttributes(child, nodes_.at(child)).object;
    children.push_back(std::move(c));
  }
  return children;
}

bool Namespace::Forget(uint64_t ino, uint64_t n) {
  std::lock_guard lock(mu_);
  if (ino == kRootIno) return false;
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return false;
  Node& node = it->second;
  node.references = n >= node.references ? 0 : node.references - n;
  if (node.references > 0) return false;
  auto named = by_name_.find({node.parent, node.name});
  if (named != by_name_.end() && named->second == ino) by_name_.erase(named);
  if (node.is_directory) {
    auto dir = directory_inodes_.find(node.path);
    if (dir != directory_inodes_.end() && dir->second == ino) directory_inodes_.erase(dir);
  }
  nodes_.erase(it);
  return true;
}

}  // namespace ferry::fs
