// The writable file system of `ferry gateway`: a tree of files over a bucket prefix whose
// changes are made in a local cache first and uploaded later, one object per file with its
// POSIX metadata (what S3 File Gateway does).
//
// - Names: every node has an inode number that is never reused and a generation (the cache
//   directory's, plus how often the bucket replaced the file's content), kept in the state
//   database (state_db.h) with the node, so that a file handle given to an NFS server stays
//   valid across restarts, and the kernel, which trusts its own size of a file it caches
//   writes for, takes a file replaced in the bucket for a new one; "." and ".." are looked up
//   for any node. Directories are listed from the bucket when first used and again after the
//   listing TTL or a Refresh; local changes not yet uploaded win over the listing.
// - Data: a file's changed bytes go to its data file in the cache (sparse: only what was
//   written or fetched is there); unchanged bytes are read from the bucket's version through
//   the block cache. Close and fsync make the data and the node durable (fdatasync, then a
//   synchronous commit): from then on the change reaches the bucket even after kill -9.
// - Upload (gateway_upload.cc): a file is uploaded once it has settled (no change for
//   settle_ns) and is closed or fsynced; large files as multipart uploads whose unchanged parts
//   are copied from the old version (UploadPartCopy). An upload replaces only the version the
//   gateway last saw (If-Match, If-None-Match for new names); when someone else changed it,
//   the local version goes up as NAME.conflict-TIME and the bucket's version is shown.
// - Streaming (gateway_stream.cc): the full parts of a large file still being written are
//   sent while it is written, as parts of a staging object under PREFIX.ferry-staging/;
//   once the file is closed and settled the object is made from them (copied part by part,
//   which a server does without moving bytes it already holds) with the file's final
//   metadata, which the staging upload could not know when it began.
// - Bucket operations a rename or delete owes are journaled with the local change and run in
//   order before any upload (renames are copy + delete; a crash resumes them).
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/clock.h"
#include "core/thread_pool.h"
#include "ferry/object_store.h"
#include "fs/block_reader.h"
#include "gateway/files_ahead.h"
#include "gateway/node.h"
#include "gateway/state_db.h"

namespace ferry::gateway {

struct GatewayOptions {
  std::string bucket;
  std::string prefix;     // "" or ending in '/'
  std::string state_dir;  // holds state.db and data/
  int64_t listing_ttl_ns = int64_t{60} * 1'000'000'000;
  int64_t settle_ns = int64_t{5} * 1'000'000'000;
  uint64_t max_dirty_bytes = uint64_t{8} << 30;  // writers wait beyond this
  uint64_t part_size = uint64_t{16} << 20;       // multipart parts (at least 5 MiB)
  uint64_t multipart_threshold = uint64_t{32} << 20;
  unsigned upload_threads = 4;
  unsigned part_threads = 8;  // parts of multipart uploads sent at once, over all uploads
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t file_mode = 0644;
  uint32_t dir_mode = 0755;
  const Clock* clock = nullptr;  // null: the system clock
};

struct Attributes {
  uint64_t ino = 0;
  uint32_t mode = 0;  // with the type bits
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t atime_ns = 0;
  int64_t ctime_ns = 0;
  uint32_t nlink = 1;
  uint32_t generation = 0;  // with ino, names this version of the file to the kernel
};

struct SetAttributes {
  std::optional<uint32_t> mode;  // permission bits
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<uint64_t> size;
  std::optional<int64_t> atime_ns;
  std::optional<int64_t> mtime_ns;
};

// What the gateway tells the world (S3 File Gateway's notifications): a file uploaded, a
// conflict kept aside, a file failing to upload, a working set uploaded (NotifyWhenUploaded).
struct GatewayEvent {
  enum class Kind { kUploaded, kConflict, kFailing, kWorkingSetUploaded } kind = Kind::kUploaded;
  std::string key;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::string conflict_key;     // kConflict: where the local version went
  std::string error;            // kFailing
  std::string notification_id;  // kWorkingSetUploaded
  int64_t requested_ns = 0;
  int64_t completed_ns = 0;
};

// One file of the cache report.
struct FileReport {
  std::string path;  // relative to the prefix
  uint64_t size = 0;
  std::string state;  // "clean", "dirty", "uploading", "failing"
  uint64_t dirty_bytes = 0;
  int failures = 0;
  std::string error;
};

struct GatewayStatus {
  uint64_t dirty_files = 0;
  uint64_t dirty_bytes = 0;
  uint64_t uploading = 0;
  uint64_t failing = 0;
  uint64_t pending_operations = 0;
  uint64_t uploaded_files = 0;
  uint64_t uploaded_bytes = 0;
  uint64_t conflicts = 0;
  uint64_t upload_ns_total = 0;  // time spent in finished uploads
  uint64_t uploads_timed = 0;
};

class Gateway {
 public:
  static constexpr uint64_t kRootIno = 1;

  // Opens (or creates) the state under options.state_dir, aborts the multipart uploads a
  // crash left behind, and starts the upload workers. The store and reader outlive it.
  static Result<std::unique_ptr<Gateway>> Open(ObjectStore& store, fs::BlockReader& reader,
                                               GatewayOptions options);
  ~Gateway();  // stops the workers; what is not uploaded stays journaled
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  uint32_t generation() const { return generation_; }
  void SetEventListener(std::function<void(const GatewayEvent&)> listener);

  // ---- names (NotFound: ENOENT; other POSIX errors carry their errno, posix_error.h)
  Result<Attributes> Lookup(uint64_t parent, std::string_view name);
  Result<Attributes> GetAttributes(uint64_t ino);
  Result<Attributes> SetAttributesOf(uint64_t ino, const SetAttributes& changes);
  struct DirEntry {
    std::string name;
    Attributes attributes;  // ino and type exact; the rest as known without a request
  };
  Result<std::vector<DirEntry>> ReadDirectory(uint64_t ino);
  Result<std::string> ReadLink(uint64_t ino);
  Result<Attributes> CreateFile(uint64_t parent, std::string_view name, uint32_t mode, uint32_t uid,
                                uint32_t gid);
  // creat(2): the new file and a handle open for writing.
  Result<std::pair<Attributes, uint64_t>> CreateAndOpenFile(uint64_t parent, std::string_view name,
                                                            uint32_t mode, uint32_t uid,
                                                            uint32_t gid);
  Result<Attributes> MakeDirectory(uint64_t parent, std::string_view name, uint32_t mode,
                                   uint32_t uid, uint32_t gid);
  Result<Attributes> MakeSymlink(uint64_t parent, std::string_view name, std::string_view target,
                                 uint32_t uid, uint32_t gid);
  Status Unlink(uint64_t parent, std::string_view name);
  Status RemoveDirectory(uint64_t parent, std::string_view name);
  // noreplace: RENAME_NOREPLACE.
  Status Rename(uint64_t parent, std::string_view name, uint64_t new_parent,
                std::string_view new_name, bool noreplace);
  // Lists the directory at path (relative to the prefix) from the bucket now; recursive also
  // the directories below it that were listed before. Returns the names that changed.
  Result<uint64_t> Refresh(const std::string& path, bool recursive);

  // ---- contents
  Result<uint64_t> OpenFile(uint64_t ino, bool write);  // a handle
  Result<size_t> Read(uint64_t handle, uint64_t offset, std::span<char> out);
  Result<size_t> Write(uint64_t handle, uint64_t offset, std::span<const char> data);
  Status Flush(uint64_t handle);  // close(2): durable
  Status Fsync(uint64_t handle);  // durable
  void Release(uint64_t handle);
  Status SyncAll();  // every change durable (before stopping)

  // ---- uploads
  GatewayStatus Stats() const;
  // Uploads everything pending now, ignoring the settle time, until nothing is pending or
  // timeout_ns passes; DeadlineExceeded-like Unavailable then.
  Status Drain(int64_t timeout_ns);
  // Everything written before now: a GatewayEvent of kind kWorkingSetUploaded with the
  // returned id follows once all of it is in the bucket.
  std::string NotifyWhenUploaded();
  // The files (and directories) whose state matches: dirty (not yet in the bucket, uploading
  // or failing), failing, or all.
  enum class ReportFilter { kDirty, kFailing, kAll };
  std::vector<FileReport> Report(ReportFilter filter) const;
  // The key of a node (directories end in '/').
  Result<std::string> KeyOf(uint64_t ino) const;

 private:
  struct Stream;
  struct Entry {
    Node node;
    // Not kept on disk:
    bool uploading = false;
    int writers = 0;       // writes and truncations in progress
    int open_writers = 0;  // handles open for writing
    uint64_t synced_seq = 0;
    int64_t changed_at_ns = 0;
    int failures = 0;
    uint64_t uploaded_seq = 0;  // the change_seq the bucket has
    uint64_t data_seq = 0;      // the change_seq of the last change of content
    int64_t next_try_ns = 0;
    std::string last_error;
    std::shared_ptr<Stream> stream;  // parts sent while the file is written, if any
  };
  // The parts of a file sent early, to a multipart upload of its staging key.
  struct Stream {
    uint64_t ino = 0;
    std::string staging_key;
    uint64_t part_size = 0;
    std::mutex create_mu;   // the first sender creates the upload
    std::string upload_id;  // guarded by create_mu
    bool staged = false;    // guarded by create_mu: the staging object exists
    bool dropped = false;   // guarded by create_mu: no new upload may begin
    // Guarded by mu_:
    std::map<int, CompletedPart> sent;  // by part number, for parts unchanged since
    std::set<int> sending;
    std::set<int> stale;  // changed while being sent
    bool dead = false;    // no use any more (too many parts, abandoned)
  };
  struct Handle {
    uint64_t ino = 0;
    bool write = false;
    int fd = -1;  // the node's data file, opened when first needed
  };

  Gateway(ObjectStore& store, fs::BlockReader& reader, GatewayOptions options);
  int64_t Now() const { return clock_->NowNanos(); }

  // ---- helpers under mu_
  Entry* Find(uint64_t ino);
  const Entry* Find(uint64_t ino) const;
  Entry* Child(uint64_t parent, std::string_view name);
  std::string PathOf(const Node& node) const;  // relative to the prefix, dirs end in '/'
  std::string KeyOfLocked(const Node& node) const { return options_.prefix + PathOf(node); }
  Attributes AttributesOf(const Node& node) const;
  Node NewNode(uint64_t parent, std::string_view name, NodeKind kind, StateDb::Batch& batch);
  void Insert(Node node);
  void Erase(uint64_t ino, StateDb::Batch& batch);  // the node and its data file
  void Save(const Entry& e, StateDb::Batch& batch) const { batch.save.push_back(e.node); }
  Status CommitLocked(StateDb::Batch& batch, bool durable);
  // Counts a local change; dirty_before: DirtyBytesOf the node before it.
  void MarkChanged(Entry& e, bool data, uint64_t dirty_before);
  std::string DataPath(uint64_t ino) const;
  bool OwedToBucket(const std::string& key) const;  // a journaled op will remove or move key
  bool SubtreeBusy(const Node& dir) const;          // uploading or pending below
  uint64_t DirtyBytesOf(const Node& node) const;
  void WaitNotUploading(std::unique_lock<std::mutex>& lock, uint64_t ino);
  Status CheckName(std::string_view name) const;
  // A new file, directory or symlink named name in parent (EEXIST when taken).
  // With open_handle, the new file is also opened for writing under the same lock: nothing
  // uploads it empty between its creation and its opening.
  Result<Attributes> MakeChild(uint64_t parent, std::string_view name, NodeKind kind, uint32_t mode,
                               uint32_t uid, uint32_t gid, std::string_view symlink_target,
                               uint64_t* open_handle = nullptr);

  // ---- listing (gateway_listing.cc)
  // Lists the directory from the bucket when its listing is older than the TTL (or force).
  Status EnsureListed(std::unique_lock<std::mutex>& lock, uint64_t dir, bool force,
                      uint64_t* changed = nullptr);
  // Reads a listed file's POSIX attributes from its object's metadata once.
  Status EnsureExact(std::unique_lock<std::mutex>& lock, uint64_t ino);

  // ---- data (gateway_data.cc)
  Result<int> DataFd(Handle& h);
  Status Truncate(std::unique_lock<std::mutex>& lock, uint64_t ino, uint64_t size);
  Status MakeDurable(uint64_t handle);
  // Copies the bytes of [begin, end) the data file lacks from the base version into it.
  Status FillFromBase(uint64_t ino, int fd, uint64_t begin, uint64_t end);

  // ---- uploads (gateway_upload.cc)
  void RunWorker();
  bool Eligible(const Entry& e, int64_t now) const;
  // Closed, fsynced, or wanted for room: it may go up once settled (and past its retry time).
  bool MayGoUp(const Entry& e) const;
  // A node as it is to be uploaded, taken under mu_ when its upload begins.
  struct Snapshot {
    uint64_t ino = 0;
    uint64_t seq = 0;
    NodeKind kind = NodeKind::kFile;
    std::string key;
    std::string dir_key;
    std::string name;
    uint64_t parent = 0;
    std::string base_key;
    std::string etag;
    uint64_t size = 0;
    uint64_t base_size = 0;
    uint64_t base_valid = 0;
    RangeSet dirty;
    bool data_dirty = false;
    bool meta_dirty = false;
    ObjectHeaders headers;
    std::string symlink_target;
    std::string token_base;
    std::string token;
    int64_t mtime_ns = 0;
  };
  Snapshot TakeSnapshot(Entry& e);
  // Uploads the node as the snapshot shows it; false in *conflict when the bucket's object is
  // no longer the version the node is based on.
  Status Upload(const Snapshot& s, ObjectMeta* uploaded);
  Status UploadContent(const Snapshot& s, const std::string& key, bool conditional,
                       ObjectMeta* uploaded);
  void UploadNode(Snapshot s);
  Status RunOp(const Op& op);
  // The local version goes up as NAME.conflict-TIME and the node shows the bucket's version.
  Status ResolveConflict(const Snapshot& s, GatewayEvent* event);
  void RebaseLocked(const std::string& src, const std::string& dst, const std::string& etag,
                    bool prefix, StateDb::Batch& batch);
  // Sends [begin, end) of the data file fd as part number of upload_id at key; with crc32c the
  // part carries that checksum (an upload declared with it needs it).
  Result<CompletedPart> SendFilePart(const std::string& key, const std::string& upload_id, int fd,
                                     int number, uint64_t begin, uint64_t end, bool crc32c);
  // Runs send(i) for parts 0..count-1 on the part pool; their ETags in order.
  Result<std::vector<std::string>> SendParts(
      size_t count, const std::function<Result<std::string>(size_t)>& send);

  // ---- streaming (gateway_stream.cc)
  static constexpr const char* kStagingDir = ".ferry-staging";
  // After a write or truncation of [begin, end): parts it changed are no longer sent ones,
  // and parts it completed go out. REQUIRES: mu_ held.
  void StreamChanged(Entry& e, uint64_t begin, uint64_t end);
  void SendStreamPart(uint64_t ino, const std::shared_ptr<Stream>& stream, int number,
                      uint64_t begin, uint64_t end);
  // The staging upload, created on first use (and recorded in the node for a restart).
  Result<std::string> StreamUploadId(uint64_t ino, Stream& stream);
  // Makes the object at key from the file's stream when it holds the file: true then. False
  // when the file has no usable stream (it is dropped); the caller uploads as usual.
  Result<bool> FinishStream(const Snapshot& s, const std::string& key, bool conditional,
                            uint64_t part_size, ObjectMeta* uploaded);
  // The node's stream, taken from it once no part of it is being sent; null without one.
  std::shared_ptr<Stream> TakeStream(std::unique_lock<std::mutex>& lock, uint64_t ino);
  // Aborts the staging upload and removes the staging object (in the background).
  void DropStream(std::shared_ptr<Stream> stream);

  ObjectStore& store_;
  fs::BlockReader& reader_;
  const GatewayOptions options_;
  const Clock* const clock_;
  std::unique_ptr<StateDb> db_;  // guarded by mu_
  uint32_t generation_ = 1;

  mutable std::mutex mu_;
  std::condition_variable changed_;  // uploads ended, writers left, space freed
  // The upload workers wait here, apart from changed_: a write must not wake them all, only a
  // file that may have become ready (closed, fsynced, newly changed), an owed operation, a
  // watch, a writer waiting for room, a drain or the stop.
  std::condition_variable work_;
  std::unordered_map<uint64_t, Entry> nodes_;                     // guarded by mu_
  std::map<std::pair<uint64_t, std::string>, uint64_t> by_name_;  // guarded by mu_
  std::vector<Op> ops_;                                           // guarded by mu_; in order
  bool op_running_ = false;                                       // guarded by mu_
  int op_failures_ = 0;                                           // guarded by mu_
  int64_t op_next_try_ns_ = 0;                                    // guarded by mu_
  uint64_t next_ino_ = 2;                                         // guarded by mu_
  uint64_t dirty_bytes_ = 0;                                      // guarded by mu_
  std::unordered_map<uint64_t, Handle> handles_;                  // guarded by mu_
  // The nodes with something for the bucket (pending(), or uploading): the workers look only
  // at these.
  std::unordered_set<uint64_t> pending_;               // guarded by mu_
  uint64_t next_handle_ = 1;                           // guarded by mu_
  bool draining_ = false;                              // guarded by mu_
  bool stopping_ = false;                              // guarded by mu_
  GatewayStatus counters_;                             // guarded by mu_
  std::function<void(const GatewayEvent&)> listener_;  // guarded by mu_
  struct Watch {
    std::string id;
    int64_t requested_ns = 0;
    std::vector<std::pair<uint64_t, uint64_t>> nodes;  // ino, change_seq to reach
    int64_t last_op = 0;                               // ops up to this id must be done
  };
  std::vector<Watch> watches_;  // guarded by mu_
  // Watches now complete, taken out of watches_ as events to emit.
  std::vector<GatewayEvent> CompletedWatchesLocked();
  std::vector<std::thread> workers_;
  std::unique_ptr<FilesAhead> files_ahead_;  // data files of the next inode numbers
  // Sends the parts of multipart uploads, a few at a time per upload; last: its tasks end
  // before what they use goes.
  std::unique_ptr<ThreadPool> part_pool_;
};

}  // namespace ferry::gateway
