// Opening the gateway's state, the node table and the name operations that read it.
#include "gateway/gateway.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "gateway/posix_error.h"

namespace ferry::gateway {

Gateway::Gateway(ObjectStore& store, fs::BlockReader& reader, GatewayOptions options)
    : store_(store),
      reader_(reader),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &SystemClock()) {}

Result<std::unique_ptr<Gateway>> Gateway::Open(ObjectStore& store, fs::BlockReader& reader,
                                               GatewayOptions options) {
  if (options.part_size < (uint64_t{5} << 20)) {
    return Status::InvalidArgument("the gateway's part size must be at least 5 MiB");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.state_dir + "/data", ec);
  if (ec) return Status::FromErrno(options.state_dir + "/data", ec.value());
  std::unique_ptr<Gateway> g(new Gateway(store, reader, std::move(options)));
  FERRY_ASSIGN_OR_RETURN(g->db_, StateDb::Open(g->options_.state_dir + "/state.db"));
  FERRY_ASSIGN_OR_RETURN(StateDb::Loaded loaded, g->db_->Load());
  g->generation_ = loaded.generation;
  g->next_ino_ = loaded.next_ino;
  g->ops_ = std::move(loaded.ops);
  StateDb::Batch batch;
  bool have_root = false;
  std::vector<std::string> abandoned;  // multipart uploads a crash left under way
  for (Node& node : loaded.nodes) {
    if (node.ino == kRootIno) have_root = true;
    if (!node.upload_id.empty() || !node.staging_key.empty()) {
      if (!node.upload_id.empty()) abandoned.push_back(node.upload_id);
      if (!node.staging_upload_id.empty()) abandoned.push_back(node.staging_upload_id);
      // A staging object completed before the crash: the file goes up again from the cache.
      if (!node.staging_key.empty()) (void)store.DeleteObject(g->options_.bucket, node.staging_key);
      node.upload_id.clear();
      node.staging_key.clear();
      node.staging_upload_id.clear();
      batch.save.push_back(node);
    }
    g->Insert(std::move(node));
  }
  if (!abandoned.empty()) {
    ListUploadsRequest list;
    list.bucket = g->options_.bucket;
    list.prefix = g->options_.prefix;
    auto uploads = store.ListMultipartUploads(list);
    if (uploads.ok()) {
      for (const auto& u : uploads->uploads) {
        if (std::find(abandoned.begin(), abandoned.end(), u.upload_id) != abandoned.end()) {
          (void)store.AbortMultipartUpload(list.bucket, u.key, u.upload_id);
        }
      }
    }
  }
  if (!have_root) {
    Node root;
    root.ino = kRootIno;
    root.parent = kRootIno;
    root.kind = NodeKind::kDirectory;
    root.mode = g->options_.dir_mode;
    root.uid = g->options_.uid;
    root.gid = g->options_.gid;
    root.mtime_ns = root.atime_ns = root.ctime_ns = g->Now();
    root.attrs_exact = true;
    batch.save.push_back(root);
    g->Insert(std::move(root));
  }
  const int64_t now = g->Now();
  for (auto& [ino, e] : g->nodes_) {
    e.changed_at_ns = e.node.dirty_since_ns ? e.node.dirty_since_ns : now;
    e.synced_seq = e.node.change_seq;  // what is on disk was made durable, or was lost
    e.uploaded_seq = e.node.pending() ? 0 : e.node.change_seq;
    if (e.node.pending()) g->pending_.insert(ino);
    g->dirty_bytes_ += g->DirtyBytesOf(e.node);
  }
  FERRY_RETURN_IF_ERROR(g->db_->Commit(batch, /*durable=*/true));
  g->files_ahead_ =
      std::make_unique<FilesAhead>([gw = g.get()](uint64_t ino) { return gw->DataPath(ino); }, 64);
  g->files_ahead_->Advance(g->next_ino_);
  g->part_pool_ = std::make_unique<ThreadPool>(std::max(1u, g->options_.part_threads));
  for (unsigned i = 0; i < std::max(1u, g->options_.upload_threads); ++i) {
    g->workers_.emplace_back([gw = g.get()] { gw->RunWorker(); });
  }
  return g;
}

Gateway::~Gateway() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  work_.notify_all();
  for (auto& t : workers_) t.join();
  files_ahead_.reset();
  std::lock_guard lock(mu_);
  for (auto& [id, h] : handles_) {
    if (h.fd >= 0) ::close(h.fd);
  }
}

void Gateway::SetEventListener(std::function<void(const GatewayEvent&)> listener) {
  std::lock_guard lock(mu_);
  listener_ = std::move(listener);
}

// ---- the node table

Gateway::Entry* Gateway::Find(uint64_t ino) {
  auto it = nodes_.find(ino);
  return it == nodes_.end() ? nullptr : &it->second;
}

const Gateway::Entry* Gateway::Find(uint64_t ino) const {
  auto it = nodes_.find(ino);
  return it == nodes_.end() ? nullptr : &it->second;
}

Gateway::Entry* Gateway::Child(uint64_t parent, std::string_view name) {
  auto it = by_name_.find({parent, std::string(name)});
  return it == by_name_.end() ? nullptr : Find(it->second);
}

std::string Gateway::PathOf(const Node& node) const {
  if (node.ino == kRootIno) return "";
  std::string path = node.name;
  if (node.is_dir()) path += '/';
  for (const Entry* p = Find(node.parent); p && p->node.ino != kRootIno; p = Find(p->node.parent)) {
    path = p->node.name + "/" + path;
  }
  return path;
}

Result<std::string> Gateway::KeyOf(uint64_t ino) const {
  std::lock_guard lock(mu_);
  const Entry* e = Find(ino);
  if (!e) return Status::NotFound("inode " + std::to_string(ino));
  return KeyOfLocked(e->node);
}

Attributes Gateway::AttributesOf(const Node& n) const {
  Attributes a;
  a.ino = n.ino;
  const uint32_t type = n.kind == NodeKind::kDirectory ? S_IFDIR
                        : n.kind == NodeKind::kSymlink ? S_IFLNK
                                                       : S_IFREG;
  a.mode = type | (n.mode & 07777);
  a.uid = n.uid;
  a.gid = n.gid;
  a.size =
      n.kind == NodeKind::kSymlink && !n.symlink_target.empty() ? n.symlink_target.size() : n.size;
  a.mtime_ns = n.mtime_ns;
  a.atime_ns = n.atime_ns;
  a.ctime_ns = n.ctime_ns ? n.ctime_ns : n.mtime_ns;
  a.nlink = n.is_dir() ? 2 : 1;
  a.generation = n.ino == kRootIno ? 0 : generation_ + n.replaced;
  if (a.generation == 0 && n.ino != kRootIno) a.generation = 1;  // 0 is the root's
  return a;
}

Node Gateway::NewNode(uint64_t parent, std::string_view name, NodeKind kind,
                      StateDb::Batch& batch) {
  Node n;
  n.ino = next_ino_++;
  batch.next_ino = next_ino_;
  if (files_ahead_) files_ahead_->Advance(next_ino_);
  n.parent = parent;
  n.name = std::string(name);
  n.kind = kind;
  n.mode = kind == NodeKind::kDirectory ? options_.dir_mode : options_.file_mode;
  n.uid = options_.uid;
  n.gid = options_.gid;
  n.mtime_ns = n.atime_ns = n.ctime_ns = Now();
  return n;
}

void Gateway::Insert(Node node) {
  const uint64_t ino = node.ino;
  if (ino != kRootIno) by_name_[{node.parent, node.name}] = ino;
  Entry& e = nodes_[ino];
  e.node = std::move(node);
}

void Gateway::Erase(uint64_t ino, StateDb::Batch& batch) {
  Entry* e = Find(ino);
  if (!e) return;
  dirty_bytes_ -= std::min(dirty_bytes_, DirtyBytesOf(e->node));
  by_name_.erase({e->node.parent, e->node.name});
  pending_.erase(ino);
  if (e->stream) DropStream(std::move(e->stream));
  ::unlink(DataPath(ino).c_str());
  nodes_.erase(ino);
  batch.erase.push_back(ino);
  changed_.notify_all();
}

Status Gateway::CommitLocked(StateDb::Batch& batch, bool durable) {
  Status st = db_->Commit(batch, durable);
  if (!st.ok()) return st.Annotate("saving the gateway's state");
  return Status::OK();
}

uint64_t Gateway::DirtyBytesOf(const Node& n) const {
  if (!n.data_dirty) return 0;
  return std::max<uint64_t>(n.dirty.bytes(), n.size > n.base_valid ? n.size - n.base_valid : 0);
}

void Gateway::MarkChanged(Entry& e, bool data, uint64_t before) {
  if (data)
    e.node.data_dirty = true;
  else
    e.node.meta_dirty = true;
  e.node.change_seq++;
  if (data) e.data_seq = e.node.change_seq;
  const int64_t now = Now();
  if (e.node.dirty_since_ns == 0) e.node.dirty_since_ns = now;
  e.changed_at_ns = now;
  e.node.ctime_ns = now;
  dirty_bytes_ = dirty_bytes_ - std::min(dirty_bytes_, before) + DirtyBytesOf(e.node);
  if (pending_.insert(e.node.ino).second) work_.notify_all();
}

std::string Gateway::DataPath(uint64_t ino) const {
  return options_.state_dir + "/data/" + std::to_string(ino);
}

bool Gateway::OwedToBucket(const std::string& key) const {
  for (const Op& op : ops_) {
    if (op.kind == OpKind::kMovePrefix ? key.starts_with(op.src) : key == op.src) return true;
  }
  return false;
}

bool Gateway::SubtreeBusy(const Node& dir) const {
  const std::string prefix = KeyOfLocked(dir);
  for (const auto& [ino, e] : nodes_) {
    if (!e.uploading && !e.node.pending() && e.node.base_key == KeyOfLocked(e.node)) continue;
    if (ino != dir.ino && KeyOfLocked(e.node).starts_with(prefix)) return true;
  }
  return false;
}

void Gateway::WaitNotUploading(std::unique_lock<std::mutex>& lock, uint64_t ino) {
  changed_.wait(lock, [&] {
    const Entry* e = Find(ino);
    return !e || (!e->uploading && e->writers == 0);
  });
}

Status Gateway::CheckName(std::string_view name) const {
  if (name.empty() || name == "." || name == "..") return PosixError(EINVAL, "name");
  if (name.size() > 255) return PosixError(ENAMETOOLONG, std::string(name.substr(0, 32)));
  if (name.find('/') != std::string_view::npos) return PosixError(EINVAL, "name");
  if (name == kStagingDir) return PosixError(EPERM, "the name is the gateway's own");
  return Status::OK();
}

// ---- reading names

Result<Attributes> Gateway::Lookup(uint64_t parent, std::string_view name) {
  std::unique_lock lock(mu_);
  Entry* dir = Find(parent);
  if (!dir) return Status::NotFound("inode " + std::to_string(parent));
  // An NFS server turns a file handle back into a file with these two (FUSE export support).
  if (name == ".") return AttributesOf(dir->node);
  if (name == "..") {
    Entry* up = Find(dir->node.parent);
    if (!up) return Status::NotFound("the parent of inode " + std::to_string(parent));
    return AttributesOf(up->node);
  }
  if (!dir->node.is_dir()) return PosixError(ENOTDIR, "lookup");
  FERRY_RETURN_IF_ERROR(EnsureListed(lock, parent, false));
  Entry* child = Child(parent, name);
  if (!child) return Status::NotFound(std::string(name));
  const uint64_t ino = child->node.ino;
  FERRY_RETURN_IF_ERROR(EnsureExact(lock, ino));
  Entry* e = Find(ino);
  if (!e) return Status::NotFound(std::string(name));
  return AttributesOf(e->node);
}

Result<Attributes> Gateway::GetAttributes(uint64_t ino) {
  std::unique_lock lock(mu_);
  if (!Find(ino)) return Status::NotFound("inode " + std::to_string(ino));
  FERRY_RETURN_IF_ERROR(EnsureExact(lock, ino));
  Entry* e = Find(ino);
  if (!e) return Status::NotFound("inode " + std::to_string(ino));
  return AttributesOf(e->node);
}

Result<std::vector<Gateway::DirEntry>> Gateway::ReadDirectory(uint64_t ino) {
  std::unique_lock lock(mu_);
  Entry* dir = Find(ino);
  if (!dir) return Status::NotFound("inode " + std::to_string(ino));
  if (!dir->node.is_dir()) return PosixError(ENOTDIR, "readdir");
  FERRY_RETURN_IF_ERROR(EnsureListed(lock, ino, false));
  std::vector<DirEntry> out;
  for (auto it = by_name_.lower_bound({ino, ""}); it != by_name_.end() && it->first.first == ino;
       ++it) {
    const Entry* e = Find(it->second);
    if (e) out.push_back({e->node.name, AttributesOf(e->node)});
  }
  return out;
}

Result<std::string> Gateway::ReadLink(uint64_t ino) {
  std::unique_lock lock(mu_);
  FERRY_RETURN_IF_ERROR(EnsureExact(lock, ino));
  Entry* e = Find(ino);
  if (!e) return Status::NotFound("inode " + std::to_string(ino));
  if (e->node.kind != NodeKind::kSymlink) return PosixError(EINVAL, "readlink");
  if (!e->node.symlink_target.empty() || e->node.base_key.empty()) return e->node.symlink_target;
  fs::ObjectVersion v{options_.bucket, e->node.base_key, e->node.etag, e->node.base_size};
  lock.unlock();
  std::string target(v.size, '\0');
  FERRY_ASSIGN_OR_RETURN(size_t n, reader_.Read(v, 0, std::span<char>(target)));
  target.resize(n);
  lock.lock();
  e = Find(ino);
  if (e && e->node.etag == v.etag) e->node.symlink_target = target;
  return target;
}

Result<Attributes> Gateway::SetAttributesOf(uint64_t ino, const SetAttributes& c) {
  std::unique_lock lock(mu_);
  if (!Find(ino)) return Status::NotFound("inode " + std::to_string(ino));
  FERRY_RETURN_IF_ERROR(EnsureExact(lock, ino));
  // Only a truncation waits for an upload under way: the data file must hold still while it is
  // read. Other attributes change the node alone, and go up after it (tar sets a file's times
  // right after closing it; it need not wait for the upload that the close started).
  if (c.size) WaitNotUploading(lock, ino);
  if (c.size) {
    Entry* e = Find(ino);
    if (!e) return Status::NotFound("inode " + std::to_string(ino));
    if (e->node.is_dir()) return PosixError(EISDIR, "truncate");
    FERRY_RETURN_IF_ERROR(Truncate(lock, ino, *c.size));
  }
  Entry* e = Find(ino);
  if (!e) return Status::NotFound("inode " + std::to_string(ino));
  Node& n = e->node;
  const bool changes = (c.mode && (*c.mode & 07777) != n.mode) || (c.uid && *c.uid != n.uid) ||
                       (c.gid && *c.gid != n.gid) || (c.atime_ns && *c.atime_ns != n.atime_ns) ||
                       (c.mtime_ns && *c.mtime_ns != n.mtime_ns);
  if (changes) {
    const uint64_t before = DirtyBytesOf(n);
    if (c.mode) n.mode = *c.mode & 07777;
    if (c.uid) n.uid = *c.uid;
    if (c.gid) n.gid = *c.gid;
    if (c.atime_ns) n.atime_ns = *c.atime_ns;
    if (c.mtime_ns) n.mtime_ns = *c.mtime_ns;
    // A directory's attributes travel with its marker, written again as a whole; a file not in
    // the bucket yet (nor on its way) goes up whole with them.
    MarkChanged(
        *e,
        /*data=*/n.is_dir() || n.kind == NodeKind::kSymlink || (n.etag.empty() && !e->uploading),
        before);
  }
  // A file open for writing is saved by its close, durably; until then its attributes, like
  // its bytes, are not promised (tar sets owner, mode and times just before closing).
  if (c.size || (changes && e->open_writers == 0)) {
    StateDb::Batch batch;
    Save(*e, batch);
    FERRY_RETURN_IF_ERROR(CommitLocked(batch, false));
  }
  return AttributesOf(n);
}

}  // namespace ferry::gateway
