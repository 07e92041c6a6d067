// The tree as the bucket shows it: directories listed when first used and again after the
// listing TTL, merged with what is local (a change not yet uploaded wins), and files'
// POSIX attributes read from their objects' metadata once per version.
#include <sys/stat.h>

#include <set>

#include "fs/directory_listing.h"
#include "gateway/gateway.h"
#include "s3/posix_meta.h"

namespace ferry::gateway {

Status Gateway::EnsureListed(std::unique_lock<std::mutex>& lock, uint64_t dir, bool force,
                             uint64_t* changed) {
  Entry* d = Find(dir);
  if (!d) return Status::NotFound("inode " + std::to_string(dir));
  if (!force && d->node.listed_at_ns != 0 &&
      Now() - d->node.listed_at_ns < options_.listing_ttl_ns) {
    return Status::OK();
  }
  // A directory made here and never uploaded has nothing in the bucket to list... unless its
  // name was taken there meanwhile: it is listed like any other.
  const std::string prefix = KeyOfLocked(d->node);
  lock.unlock();
  auto listed = fs::ListDirectory(store_, options_.bucket, prefix);
  lock.lock();
  if (!listed.ok())
    return listed.status().Annotate("listing s3://" + options_.bucket + "/" + prefix);
  d = Find(dir);
  if (!d) return Status::NotFound("inode " + std::to_string(dir));
  StateDb::Batch batch;
  uint64_t differing = 0;
  std::set<std::string> names;
  for (const fs::DirectoryEntry& entry : *listed) {
    if (dir == kRootIno && entry.name == kStagingDir) continue;  // the gateway's own
    names.insert(entry.name);
    const std::string key = prefix + entry.name + (entry.is_directory ? "/" : "");
    Entry* child = Child(dir, entry.name);
    if (child) {
      Node& n = child->node;
      const bool local = child->uploading || n.pending() || n.base_key != KeyOfLocked(n);
      if (local) continue;  // the upload will find out whether the bucket moved on
      if (n.is_dir() == entry.is_directory) {
        if (n.is_dir() || n.etag == entry.etag) continue;
        // Changed in the bucket: the new version replaces what is cached of the old.
        ::unlink(DataPath(n.ino).c_str());
        n.etag = entry.etag;
        n.base_key = key;
        n.size = n.base_size = n.base_valid = entry.size;
        n.mtime_ns = n.ctime_ns = entry.last_modified_ns;
        n.attrs_exact = false;
        n.symlink_target.clear();
        n.present.Clear();
        n.replaced++;  // a new file to the kernel, which would keep the old one's size
        Save(*child, batch);
        ++differing;
        continue;
      }
      if (n.is_dir() && SubtreeBusy(n)) continue;
      // A file became a directory or the reverse: the old node goes with what is below it.
      std::vector<uint64_t> doomed = {n.ino};
      for (size_t i = 0; i < doomed.size(); ++i) {
        for (auto it = by_name_.lower_bound({doomed[i], ""});
             it != by_name_.end() && it->first.first == doomed[i]; ++it) {
          doomed.push_back(it->second);
        }
      }
      for (uint64_t ino : doomed) Erase(ino, batch);
    }
    if (OwedToBucket(key)) continue;  // deleted or moved here; the bucket does not know yet
    Node n = NewNode(dir, entry.name, entry.is_directory ? NodeKind::kDirectory : NodeKind::kFile,
                     batch);
    if (!entry.is_directory) {
      n.base_key = key;
      n.etag = entry.etag;
      n.size = n.base_size = n.base_valid = entry.size;
      n.mtime_ns = n.atime_ns = n.ctime_ns = entry.last_modified_ns;
    } else {
      n.base_key = key;
      n.attrs_exact = true;
    }
    batch.save.push_back(n);
    Insert(std::move(n));
    ++differing;
  }
  // Names gone from the bucket go here too, unless something of them is only local.
  std::vector<uint64_t> gone;
  for (auto it = by_name_.lower_bound({dir, ""}); it != by_name_.end() && it->first.first == dir;
       ++it) {
    if (names.count(it->first.second)) continue;
    const Entry* e = Find(it->second);
    if (!e || e->uploading || e->node.pending() || e->node.base_key != KeyOfLocked(e->node)) {
      continue;
    }
    if (e->node.is_dir() && SubtreeBusy(e->node)) continue;
    gone.push_back(it->second);
  }
  for (size_t i = 0; i < gone.size(); ++i) {
    for (auto it = by_name_.lower_bound({gone[i], ""});
         it != by_name_.end() && it->first.first == gone[i]; ++it) {
      gone.push_back(it->second);
    }
  }
  differing += gone.size();
  for (uint64_t ino : gone) Erase(ino, batch);
  d = Find(dir);
  if (!d) return Status::NotFound("inode " + std::to_string(dir));
  d->node.listed_at_ns = Now();
  Save(*d, batch);
  if (changed) *changed += differing;
  return CommitLocked(batch, false);
}

Status Gateway::EnsureExact(std::unique_lock<std::mutex>& lock, uint64_t ino) {
  Entry* e = Find(ino);
  if (!e) return Status::NotFound("inode " + std::to_string(ino));
  if (e->node.attrs_exact || e->node.is_dir() || e->node.base_key.empty()) return Status::OK();
  const std::string key = e->node.base_key;
  const std::string etag = e->node.etag;
  lock.unlock();
  auto meta = store_.HeadObject(options_.bucket, key);
  lock.lock();
  e = Find(ino);
  if (!e) return Status::NotFound("inode " + std::to_string(ino));
  if (!meta.ok()) {
    if (meta.status().IsNotFound()) return Status::OK();  // the next listing removes it
    return meta.status().Annotate("s3://" + options_.bucket + "/" + key);
  }
  if (e->node.etag != etag || meta->etag != etag || e->node.attrs_exact) return Status::OK();
  const s3::PosixAttributes posix = s3::DecodePosixAttributes(meta->headers.user_metadata);
  Node& n = e->node;
  if (posix.mode) {
    if (S_ISLNK(*posix.mode) && meta->size <= 4096) n.kind = NodeKind::kSymlink;
    n.mode = *posix.mode & 07777;
  }
  if (posix.uid) n.uid = *posix.uid;
  if (posix.gid) n.gid = *posix.gid;
  if (posix.mtime_ns) n.mtime_ns = *posix.mtime_ns;
  if (posix.atime_ns) n.atime_ns = *posix.atime_ns;
  n.attrs_exact = true;
  StateDb::Batch batch;
  Save(*e, batch);
  return CommitLocked(batch, false);
}

Result<uint64_t> Gateway::Refresh(const std::string& path, bool recursive) {
  std::unique_lock lock(mu_);
  uint64_t ino = kRootIno;
  std::string rest = path;
  while (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    const std::string name = rest.substr(0, slash);
    rest = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (name.empty()) continue;
    FERRY_RETURN_IF_ERROR(EnsureListed(lock, ino, false));
    Entry* child = Child(ino, name);
    if (!child || !child->node.is_dir()) return Status::NotFound(path + ": no such directory");
    ino = child->node.ino;
  }
  uint64_t changed = 0;
  std::vector<uint64_t> todo = {ino};
  for (size_t i = 0; i < todo.size(); ++i) {
    FERRY_RETURN_IF_ERROR(EnsureListed(lock, todo[i], true, &changed));
    if (!recursive) break;
    for (auto it = by_name_.lower_bound({todo[i], ""});
         it != by_name_.end() && it->first.first == todo[i]; ++it) {
      const Entry* e = Find(it->second);
      if (e && e->node.is_dir() && e->node.listed_at_ns != 0) todo.push_back(e->node.ino);
    }
  }
  return changed;
}

}  // namespace ferry::gateway
