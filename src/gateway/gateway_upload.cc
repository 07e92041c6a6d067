// The upload workers: journaled bucket operations first, in order; then every node that has
// settled, one upload each, replacing only the version the node is based on.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <mutex>
#include <random>

#include "gateway/gateway.h"
#include "s3/posix_meta.h"

namespace ferry::gateway {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

std::string UtcStamp(int64_t ns) {
  const time_t t = static_cast<time_t>(ns / kSecond);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

bool IsConflict(const Status& st) {
  return st.code() == Status::Code::kPreconditionFailed || st.s3_code() == "PreconditionFailed" ||
         st.s3_code() == "ConditionalRequestConflict";
}

std::string NewToken() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(random()));
  return buf;
}

// The part size of an upload based on a multipart object: the base's own, taken as the
// smallest whole number of MiB that cuts base_size into as many parts as its ETag counts. The
// untouched parts are then whole parts of the base, which a server can copy without moving
// their bytes. 0 when the base is not multipart or no such size fits.
uint64_t BasePartSize(const std::string& etag, uint64_t base_size, uint64_t size) {
  constexpr uint64_t kMiB = 1 << 20;
  const size_t dash = etag.rfind('-');
  if (dash == std::string::npos || base_size == 0) return 0;
  uint64_t parts = 0;
  for (size_t i = dash + 1; i < etag.size(); ++i) {
    if (etag[i] < '0' || etag[i] > '9' || parts > 10000) return 0;
    parts = parts * 10 + static_cast<uint64_t>(etag[i] - '0');
  }
  if (parts < 2 || parts > 10000) return 0;
  const uint64_t part = ((base_size + parts - 1) / parts + kMiB - 1) / kMiB * kMiB;
  if ((base_size + part - 1) / part != parts || part < 5 * kMiB || size / part >= 10000) return 0;
  return part;
}

}  // namespace

Gateway::Snapshot Gateway::TakeSnapshot(Entry& e) {
  const Node& n = e.node;
  Snapshot s;
  s.ino = n.ino;
  s.seq = n.change_seq;
  s.kind = n.kind;
  s.key = KeyOfLocked(n);
  const Entry* parent = Find(n.parent);
  s.dir_key = parent ? KeyOfLocked(parent->node) : options_.prefix;
  s.name = n.name;
  s.parent = n.parent;
  s.base_key = n.base_key;
  s.etag = n.etag;
  s.size = n.size;
  s.base_size = n.base_size;
  s.base_valid = n.base_valid;
  s.dirty = n.dirty;
  s.data_dirty = n.data_dirty;
  s.meta_dirty = n.meta_dirty;
  s.symlink_target = n.symlink_target;
  s.mtime_ns = n.mtime_ns;
  s3::PosixAttributes posix;
  posix.mode = AttributesOf(n).mode;
  posix.uid = n.uid;
  posix.gid = n.gid;
  posix.mtime_ns = n.mtime_ns;
  posix.atime_ns = n.atime_ns;
  s3::EncodePosixAttributes(posix, s.headers.user_metadata);
  s.headers.user_metadata["user-agent"] = "ferry-gateway";
  // Names this node and this state of its content: a lost answer (or a crash) after the
  // bucket took an upload is then told from another writer's change.
  if (e.node.upload_token.empty()) e.node.upload_token = NewToken();
  s.token_base = e.node.upload_token;
  s.token = s.token_base + ":" + std::to_string(s.seq);
  s.headers.user_metadata["ferry-upload"] = s.token;
  return s;
}

bool Gateway::Eligible(const Entry& e, int64_t now) const {
  const Node& n = e.node;
  if (!n.pending() || e.uploading || e.writers > 0 || now < e.next_try_ns) return false;
  if (draining_) return true;
  if (now - e.changed_at_ns < options_.settle_ns) return false;
  return MayGoUp(e);
}

bool Gateway::MayGoUp(const Entry& e) const {
  // An open file goes up once fsynced (an NFS server never closes its files), or when
  // writers wait for room.
  const bool pressure = dirty_bytes_ >= options_.max_dirty_bytes;
  return e.open_writers == 0 || e.synced_seq >= e.node.change_seq || pressure;
}

void Gateway::RunWorker() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const int64_t now = Now();
    if (!ops_.empty()) {
      // Operations owed run one at a time, in order, before any upload.
      if (op_running_ || now < op_next_try_ns_) {
        work_.wait_for(lock, std::chrono::milliseconds(50));
        continue;
      }
      const Op op = ops_.front();
      op_running_ = true;
      lock.unlock();
      Status st = RunOp(op);
      lock.lock();
      op_running_ = false;
      if (st.ok()) {
        StateDb::Batch batch;
        batch.done_ops.push_back(op.id);
        Status saved = CommitLocked(batch, false);
        if (!saved.ok()) spdlog::warn("gateway: {}", saved.ToString());
        if (!ops_.empty() && ops_.front().id == op.id) ops_.erase(ops_.begin());
        op_failures_ = 0;
      } else {
        ++op_failures_;
        op_next_try_ns_ =
            now + std::min<int64_t>(60, int64_t{1} << std::min(op_failures_, 6)) * kSecond / 2;
        spdlog::warn("gateway: {} of {} (try {}): {}",
                     op.kind == OpKind::kDelete ? "delete" : "rename", op.src, op_failures_,
                     st.ToString());
      }
      changed_.notify_all();
      work_.notify_all();
      continue;
    }
    if (!watches_.empty()) {
      std::vector<GatewayEvent> done = CompletedWatchesLocked();
      if (!done.empty()) {
        auto listener = listener_;
        lock.unlock();
        for (const GatewayEvent& event : done) {
          if (listener) listener(event);
        }
        lock.lock();
        continue;
      }
    }
    Entry* pick = nullptr;
    int64_t next_due = now + kSecond;
    for (uint64_t ino : pending_) {
      Entry* e = Find(ino);
      if (!e) continue;
      if (Eligible(*e, now)) {
        if (!pick || e->changed_at_ns < pick->changed_at_ns) pick = e;
      } else if (e->node.pending() && !e->uploading && e->writers == 0 && MayGoUp(*e)) {
        // Waits only for its settle time or its retry; a file still open for writing is
        // announced on work_ when it is closed or fsynced instead of being polled.
        next_due =
            std::min(next_due, std::max(e->changed_at_ns + options_.settle_ns, e->next_try_ns));
      }
    }
    if (!pick) {
      work_.wait_for(lock,
                     std::chrono::nanoseconds(std::max<int64_t>(next_due - now, kSecond / 100)));
      continue;
    }
    pick->uploading = true;
    Snapshot s = TakeSnapshot(*pick);
    StateDb::Batch batch;
    Save(*pick, batch);
    Status saved = CommitLocked(batch, false);
    if (!saved.ok()) spdlog::warn("gateway: {}", saved.ToString());
    counters_.uploading++;
    lock.unlock();
    UploadNode(std::move(s));
    lock.lock();
    counters_.uploading--;
  }
}

Status Gateway::Upload(const Snapshot& s, ObjectMeta* uploaded) {
  if (s.kind == NodeKind::kDirectory || s.kind == NodeKind::kSymlink) {
    PutObjectRequest put;
    put.bucket = options_.bucket;
    put.key = s.key;
    put.headers = s.headers;
    const std::string& body = s.kind == NodeKind::kSymlink ? s.symlink_target : std::string();
    put.size = body.size();
    FERRY_ASSIGN_OR_RETURN(auto writer, store_.PutObject(put));
    FERRY_RETURN_IF_ERROR(writer->Append(std::span<const char>(body.data(), body.size())));
    FERRY_ASSIGN_OR_RETURN(*uploaded, writer->Commit());
    return Status::OK();
  }
  if (!s.data_dirty && !s.etag.empty()) {
    // Only the metadata changed: the object is copied onto itself with the new metadata.
    CopyObjectRequest copy;
    copy.src_bucket = copy.dst_bucket = options_.bucket;
    copy.src_key = s.base_key;
    copy.dst_key = s.key;
    copy.replace_metadata = true;
    copy.headers = s.headers;
    copy.if_match = s.etag;
    FERRY_ASSIGN_OR_RETURN(*uploaded, store_.CopyObject(copy));
    uploaded->size = s.size;
    return Status::OK();
  }
  return UploadContent(s, s.key, /*conditional=*/true, uploaded);
}

Status Gateway::UploadContent(const Snapshot& s, const std::string& key, bool conditional,
                              ObjectMeta* uploaded) {
  const std::string path = DataPath(s.ino);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(path, errno);
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::FromErrno(path, errno);
  if (static_cast<uint64_t>(st.st_size) < s.size &&
      ::ftruncate(fd, static_cast<off_t>(s.size)) != 0) {
    return Status::FromErrno(path, errno);
  }
  const std::string if_match = conditional ? s.etag : "";
  const bool if_none_match = conditional && s.etag.empty();
  if (s.size < options_.multipart_threshold) {
    {
      std::unique_lock lock(mu_);
      auto stream = TakeStream(lock, s.ino);  // it shrank below the threshold after parts went
      lock.unlock();
      if (stream) DropStream(std::move(stream));
    }
    FERRY_RETURN_IF_ERROR(FillFromBase(s.ino, fd, 0, s.size));
    PutObjectRequest put;
    put.bucket = options_.bucket;
    put.key = key;
    put.headers = s.headers;
    put.size = s.size;
    put.if_match_etag = if_match;
    put.if_none_match_star = if_none_match;
    // CRC32C, as `ferry cp` sends: the upload is checked without hashing it with MD5.
    put.checksum = ObjectChecksum{ChecksumAlgorithm::kCrc32c, ""};
    FERRY_ASSIGN_OR_RETURN(auto writer, store_.PutObject(put));
    FERRY_RETURN_IF_ERROR(writer->AppendFile(fd, 0, s.size));
    FERRY_ASSIGN_OR_RETURN(*uploaded, writer->Commit());
    return Status::OK();
  }
  // Multipart: parts untouched since the base version are copied from it in the bucket.
  // Cut along the base's parts when some of them may be copied (a file rewritten whole keeps
  // the size its stream used).
  uint64_t part =
      conditional && !s.dirty.Contains(0, s.size) ? BasePartSize(s.etag, s.base_size, s.size) : 0;
  if (part == 0) {
    part = options_.part_size;
    while (s.size / part >= 10000) part *= 2;
  }
  FERRY_ASSIGN_OR_RETURN(bool streamed, FinishStream(s, key, conditional, part, uploaded));
  if (streamed) return Status::OK();
  CreateMultipartRequest create;
  create.bucket = options_.bucket;
  create.key = key;
  create.headers = s.headers;
  FERRY_ASSIGN_OR_RETURN(MultipartUploadInfo upload, store_.CreateMultipartUpload(create));
  {
    std::lock_guard lock(mu_);
    if (Entry* e = Find(s.ino)) {
      e->node.upload_id = upload.upload_id;
      StateDb::Batch batch;
      Save(*e, batch);
      (void)CommitLocked(batch, false);
    }
  }
  // One part: copied from the base version in the bucket when untouched, else sent.
  auto send_part = [&](int number, uint64_t begin, uint64_t end) -> Result<std::string> {
    const bool copyable =
        conditional && !s.etag.empty() && end <= s.base_valid && !s.dirty.Overlaps(begin, end);
    if (copyable) {
      UploadPartCopyRequest copy;
      copy.bucket = options_.bucket;
      copy.key = key;
      copy.upload_id = upload.upload_id;
      copy.part_number = number;
      copy.src_bucket = options_.bucket;
      copy.src_key = s.base_key;
      copy.src_etag = s.etag;
      copy.first = begin;
      copy.last = end - 1;
      FERRY_ASSIGN_OR_RETURN(PartInfo info, store_.UploadPartCopy(copy));
      return info.etag;
    }
    FERRY_RETURN_IF_ERROR(FillFromBase(s.ino, fd, begin, end));
    FERRY_ASSIGN_OR_RETURN(CompletedPart sent, SendFilePart(key, upload.upload_id, fd, number,
                                                            begin, end, /*crc32c=*/false));
    return sent.etag;
  };
  auto run = [&]() -> Result<ObjectMeta> {
    const size_t count = static_cast<size_t>((s.size + part - 1) / part);
    FERRY_ASSIGN_OR_RETURN(auto etags, SendParts(count, [&](size_t i) {
                             const uint64_t begin = i * part;
                             return send_part(static_cast<int>(i + 1), begin,
                                              std::min(s.size, begin + part));
                           }));
    std::vector<CompletedPart> parts;
    for (size_t i = 0; i < count; ++i) parts.push_back({static_cast<int>(i + 1), etags[i], ""});
    CompleteMultipartRequest complete;
    complete.bucket = options_.bucket;
    complete.key = key;
    complete.upload_id = upload.upload_id;
    complete.parts = std::move(parts);
    complete.if_match_etag = if_match;
    complete.if_none_match_star = if_none_match;
    return store_.CompleteMultipartUpload(complete);
  };
  auto done = run();
  if (!done.ok()) (void)store_.AbortMultipartUpload(options_.bucket, key, upload.upload_id);
  {
    std::lock_guard lock(mu_);
    if (Entry* e = Find(s.ino)) e->node.upload_id.clear();
  }
  FERRY_RETURN_IF_ERROR(done.status());
  *uploaded = std::move(done).value();
  uploaded->size = s.size;
  return Status::OK();
}

Status Gateway::ResolveConflict(const Snapshot& s, GatewayEvent* event) {
  const std::string conflict_name = s.name + ".conflict-" + UtcStamp(Now());
  const std::string conflict_key = s.dir_key + conflict_name;
  Snapshot local = s;
  local.headers.user_metadata.erase("ferry-upload");
  ObjectMeta uploaded;
  FERRY_RETURN_IF_ERROR(UploadContent(local, conflict_key, /*conditional=*/false, &uploaded)
                            .Annotate("keeping the local version of " + s.key));
  auto current = store_.HeadObject(options_.bucket, s.key);
  std::lock_guard lock(mu_);
  StateDb::Batch batch;
  Entry* e = Find(s.ino);
  if (!e) return Status::OK();
  // The local version becomes the conflict file, with its data where it is.
  Node copy = NewNode(s.parent, conflict_name, NodeKind::kFile, batch);
  const Node& old = e->node;
  copy.mode = old.mode;
  copy.uid = old.uid;
  copy.gid = old.gid;
  copy.mtime_ns = old.mtime_ns;
  copy.size = copy.base_size = copy.base_valid = s.size;
  copy.base_key = conflict_key;
  copy.etag = uploaded.etag;
  copy.attrs_exact = true;
  copy.present.Add(0, s.size);
  ::rename(DataPath(s.ino).c_str(), DataPath(copy.ino).c_str());
  batch.save.push_back(copy);
  if (!Child(s.parent, conflict_name)) Insert(std::move(copy));
  // The name shows the bucket's version now.
  const uint64_t before = DirtyBytesOf(e->node);
  Node& n = e->node;
  n.present.Clear();
  n.dirty.Clear();
  n.data_dirty = n.meta_dirty = false;
  n.dirty_since_ns = 0;
  n.attrs_exact = false;
  n.replaced++;
  if (current.ok()) {
    n.base_key = s.key;
    n.etag = current->etag;
    n.size = n.base_size = n.base_valid = current->size;
    n.mtime_ns = current->last_modified_ns;
  } else {
    n.etag.clear();
    n.size = n.base_size = n.base_valid = 0;
  }
  dirty_bytes_ -= std::min(dirty_bytes_, before);
  Save(*e, batch);
  counters_.conflicts++;
  event->kind = GatewayEvent::Kind::kConflict;
  event->key = s.key;
  event->size = s.size;
  event->mtime_ns = s.mtime_ns;
  event->conflict_key = conflict_key;
  return CommitLocked(batch, false);
}

void Gateway::UploadNode(Snapshot s) {
  const int64_t started = Now();
  ObjectMeta uploaded;
  Status st = Upload(s, &uploaded);
  GatewayEvent event;
  bool resolved = false;
  if (!st.ok() && IsConflict(st)) {
    auto current = store_.HeadObject(options_.bucket, s.key);
    std::string token;
    if (current.ok() && current->headers.user_metadata.count("ferry-upload")) {
      token = current->headers.user_metadata.at("ferry-upload");
    }
    if (!token.empty() && token == s.token) {
      uploaded = *current;  // this upload, whose answer was lost (or a crash took it)
      st = Status::OK();
    } else if (!token.empty() && token.starts_with(s.token_base + ":")) {
      // An earlier upload of this node got there: it is the base now, and what changed
      // since goes up over it.
      {
        std::lock_guard lock(mu_);
        if (Entry* e = Find(s.ino)) {
          e->node.etag = current->etag;
          e->node.base_key = s.key;
          e->node.base_size = current->size;
          e->node.base_valid = std::min(e->node.base_valid, current->size);
        }
      }
      Snapshot again = s;
      again.etag = current->etag;
      again.base_key = s.key;
      again.base_valid = std::min(s.base_valid, current->size);
      st = Upload(again, &uploaded);
    } else if (current.status().IsNotFound() && s.etag.empty() == false) {
      // Deleted in the bucket meanwhile: the local version goes up as a new object.
      Snapshot fresh = s;
      fresh.etag.clear();
      fresh.base_valid = 0;
      st = UploadContent(fresh, s.key, /*conditional=*/true, &uploaded);
    } else {
      st = ResolveConflict(s, &event);
      resolved = st.ok();
    }
  }
  std::function<void(const GatewayEvent&)> listener;
  {
    std::lock_guard lock(mu_);
    listener = listener_;
  }
  if (st.ok() && !resolved && listener) {
    // Told before the upload counts as done, so that a working set's event comes after the
    // events of its files.
    GatewayEvent uploaded_event;
    uploaded_event.kind = GatewayEvent::Kind::kUploaded;
    uploaded_event.key = s.key;
    uploaded_event.size = s.size;
    uploaded_event.mtime_ns = s.mtime_ns;
    listener(uploaded_event);
  }
  {
    std::lock_guard lock(mu_);
    counters_.upload_ns_total += static_cast<uint64_t>(std::max<int64_t>(0, Now() - started));
    counters_.uploads_timed++;
    Entry* e = Find(s.ino);
    if (!e) return;
    e->uploading = false;
    changed_.notify_all();
    work_.notify_all();
    StateDb::Batch batch;
    Node& n = e->node;
    if (resolved) {
      e->uploaded_seq = std::max(e->uploaded_seq, s.seq);
      e->failures = 0;
      e->last_error.clear();
    } else if (st.ok()) {
      const uint64_t before = DirtyBytesOf(n);
      n.etag = uploaded.etag;
      n.base_key = s.key;
      if (!n.is_dir()) n.base_size = n.base_valid = s.size;
      e->uploaded_seq = std::max(e->uploaded_seq, s.seq);
      if (n.change_seq == s.seq) {
        n.data_dirty = n.meta_dirty = false;
        n.dirty.Clear();
        n.dirty_since_ns = 0;
      } else if (e->data_seq <= s.seq) {
        // Only attributes changed meanwhile: they follow with a metadata copy.
        n.data_dirty = false;
        n.dirty.Clear();
        n.meta_dirty = true;
      }
      dirty_bytes_ = dirty_bytes_ - std::min(dirty_bytes_, before) + DirtyBytesOf(n);
      e->failures = 0;
      e->last_error.clear();
      counters_.uploaded_files++;
      counters_.uploaded_bytes += s.size;
    } else {
      e->failures++;
      e->next_try_ns =
          Now() + std::min<int64_t>(60, int64_t{1} << std::min(e->failures, 6)) * kSecond / 2;
      e->last_error = st.ToString();
      spdlog::warn("gateway: uploading {} (try {}): {}", s.key, e->failures, e->last_error);
      event.kind = GatewayEvent::Kind::kFailing;
      event.key = s.key;
      event.error = e->last_error;
      if (e->failures > 1) event = GatewayEvent{};  // reported once, at the first failure
    }
    if (!n.pending()) pending_.erase(s.ino);
    Save(*e, batch);
    Status saved = CommitLocked(batch, false);
    if (!saved.ok()) spdlog::warn("gateway: {}", saved.ToString());
  }
  const bool report = event.kind != GatewayEvent::Kind::kFailing || !event.error.empty();
  if (listener && report && !event.key.empty()) listener(event);
}

void Gateway::RebaseLocked(const std::string& src, const std::string& dst, const std::string& etag,
                           bool prefix, StateDb::Batch& batch) {
  for (auto& [ino, e] : nodes_) {
    Node& n = e.node;
    if (prefix ? !n.base_key.starts_with(src) : n.base_key != src) continue;
    n.base_key = dst + n.base_key.substr(src.size());
    if (!prefix && !etag.empty()) n.etag = etag;
    batch.save.push_back(n);
  }
}

Status Gateway::RunOp(const Op& op) {
  const std::string& bucket = options_.bucket;
  if (op.kind == OpKind::kDelete) return store_.DeleteObject(bucket, op.src);
  auto copy_one = [&](const std::string& src, const std::string& dst,
                      const std::string& if_match) -> Status {
    CopyObjectRequest copy;
    copy.src_bucket = copy.dst_bucket = bucket;
    copy.src_key = src;
    copy.dst_key = dst;
    copy.if_match = if_match;
    auto done = store_.CopyObject(copy);
    if (!done.ok() && IsConflict(done.status())) {
      // Changed in the bucket since: the rename takes the bucket's version along.
      copy.if_match.clear();
      done = store_.CopyObject(copy);
    }
    if (!done.ok()) {
      if (done.status().IsNotFound() || done.status().s3_code() == "NoSuchKey") {
        return Status::OK();  // gone already (a crash after the delete that followed)
      }
      return done.status().Annotate("copying s3://" + bucket + "/" + src + " to " + dst);
    }
    std::lock_guard lock(mu_);
    StateDb::Batch batch;
    RebaseLocked(src, dst, done->etag, /*prefix=*/false, batch);
    return CommitLocked(batch, false);
  };
  if (op.kind == OpKind::kCopy) return copy_one(op.src, op.dst, op.etag);
  // A directory: every object below it, copied then deleted, until none is left.
  while (true) {
    ListObjectsRequest list;
    list.bucket = bucket;
    list.prefix = op.src;
    FERRY_ASSIGN_OR_RETURN(ListObjectsPage page, store_.ListObjects(list));
    if (page.objects.empty()) break;
    for (const ObjectMeta& o : page.objects) {
      FERRY_RETURN_IF_ERROR(copy_one(o.key, op.dst + o.key.substr(op.src.size()), o.etag));
      FERRY_RETURN_IF_ERROR(store_.DeleteObject(bucket, o.key));
    }
  }
  std::lock_guard lock(mu_);
  StateDb::Batch batch;
  RebaseLocked(op.src, op.dst, "", /*prefix=*/true, batch);
  return CommitLocked(batch, false);
}

}  // namespace ferry::gateway
