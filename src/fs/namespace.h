// The file tree of a mount: inode numbers for the names under a bucket prefix, built one
// directory at a time from delimiter listings (directory_listing.h) and cached for
// metadata_ttl. A name keeps its inode number while the kernel holds a reference to it
// (Lookup counts one, Forget drops them), so a re-listed directory keeps its numbers.
// Attributes come from the listing (size, mtime = Last-Modified) and the mount's defaults,
// refined by the object's `x-amz-meta-file-*` metadata the first time a file's attributes are
// asked for (then cached for metadata_ttl too): saved in the disk cache for the listed version
// (AttributeCache), else from a HEAD, or a GET of a small file. A directory listed again after
// the TTL takes in the bucket's changes as the import policy allows; Refresh takes them all
// in now and tells a listener (the kernel's caches) which names changed. Thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/clock.h"
#include "fs/attribute_cache.h"
#include "fs/block_reader.h"
#include "fs/directory_listing.h"
#include "index/indexed_store.h"

namespace ferry::fs {

struct NamespaceOptions {
  std::string bucket;
  std::string prefix;  // "" or ending in '/'
  int64_t metadata_ttl_ns = int64_t{60} * 1'000'000'000;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t file_mode = 0644;
  uint32_t dir_mode = 0755;
  ImportPolicy import = ImportPolicy::All();
  // When set, the attributes of a file no larger than a block and not cached come from one
  // GET that also caches its data (BlockReader::ReadSmallObject), not from a HEAD: the file
  // looked up is about to be read, and one request costs less than two.
  BlockReader* small_file_reader = nullptr;
  // When set, the metadata of every file whose attributes were read is saved there, and a
  // file's saved metadata (for the version listed) answers instead of a request.
  AttributeCache* attribute_cache = nullptr;
  // When set, only these paths (relative to the prefix) are shown, and the directories that
  // lead to them: one training host's shard of a channel.
  std::shared_ptr<const std::unordered_set<std::string>> only_paths;
  // When set, a directory's first listing comes from this store's index (later ones, after
  // the TTL or on refresh, from the bucket), and a file's metadata from its index entry when
  // that is of the version listed. Where the index cannot be read, the bucket answers.
  index::IndexedStore* indexed = nullptr;
  const Clock* clock = nullptr;  // null: the system clock
};

struct NodeAttributes {
  uint64_t ino = 0;
  mode_t mode = 0;  // with the file type bits
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t atime_ns = 0;
  ObjectVersion object;  // files and symlinks: the version the attributes describe
};

class Namespace {
 public:
  static constexpr uint64_t kRootIno = 1;
  // The longest symlink target (PATH_MAX): a larger object marked as a symlink is a file. A
  // listing thus tells a larger object's type without its metadata.
  static constexpr uint64_t kMaxSymlinkTarget = 4096;

  Namespace(ObjectStore& store, NamespaceOptions options);

  // The child `name` of directory parent; NotFound when absent. Counts one kernel reference.
  Result<NodeAttributes> Lookup(uint64_t parent, std::string_view name);
  // Attributes of a known inode; NotFound for one never looked up or forgotten.
  Result<NodeAttributes> GetAttributes(uint64_t ino);
  struct Child {
    std::string name;
    uint64_t ino;
    bool is_directory;
    ObjectVersion object;  // files: the version the listing shows
  };
  // The entries of a directory (without "." and ".."), sorted by name.
  Result<std::vector<Child>> ReadDirectory(uint64_t ino);
  // Counts one kernel reference to ino, a child ReadDirectory gave out, and returns its
  // attributes as known now, without a request: exact when they were read before (or for a
  // directory), else the listing's and the mount's defaults, to be asked for again before
  // use. NotFound when the inode is gone.
  struct KnownNow {
    NodeAttributes attributes;
    bool exact = false;
  };
  Result<KnownNow> ReferenceListed(uint64_t ino);
  // Drops n kernel references; an inode without any is forgotten (then true).
  bool Forget(uint64_t ino, uint64_t n);

  // The inode at path (relative to the prefix), looking up each component without reading
  // file attributes; the caller gives back the references that go to *taken (Forget).
  Result<uint64_t> Walk(const std::string& path, std::vector<uint64_t>* taken);

  // The object version of the file at path (relative to the prefix) as its directory's
  // listing shows it: no HEAD, no reference kept. NotFound for a directory or a missing name.
  Result<ObjectVersion> Locate(const std::string& path);

  // Reads the attributes of the file at path now, as its first lookup would (for a small file
  // with small_file_reader set: its data too), so that the lookup finds them known. Returns
  // the version they name; NotFound for a directory or a missing name.
  Result<ObjectVersion> Warm(const std::string& path);

  // A name whose entry changed: ino is 0 when no inode was given out for it.
  struct Change {
    uint64_t parent;
    std::string name;
    uint64_t ino;
  };
  using ChangeListener = std::function<void(const Change&)>;
  // Set before the namespace is used; called outside the namespace's lock.
  void SetChangeListener(ChangeListener listener) { listener_ = std::move(listener); }

  // Lists the directory at path (or a file's directory) again now, taking in every change
  // whatever the import policy, and reads file attributes again on their next use. With
  // recursive, directories below that were listed before are refreshed too. Returns how many
  // names changed.
  Result<uint64_t> Refresh(const std::string& path, bool recursive);

 private:
  struct Node {
    uint64_t parent = 0;
    std::string name;
    std::string path;  // relative to the prefix; directories end in '/' ("" for the root)
    bool is_directory = false;
    uint64_t references = 0;
    DirectoryEntry listed;  // files: what the listing showed
  };
  // A file's attributes as its object's metadata gave them, for the listed version.
  struct KnownAttributes {
    NodeAttributes attributes;
    std::string listed_etag;
    int64_t at_ns = 0;
  };
  // Shared, not copied, by every lookup in the directory (a listing may hold 100,000 names).
  using Entries = std::shared_ptr<const std::vector<DirectoryEntry>>;
  struct Listing {
    Entries entries;  // sorted by name
    int64_t fetched_at_ns = 0;
  };

  int64_t Now() const { return clock_->NowNanos(); }
  // The file's attributes read before, while they stand (guarded by mu_); null if none.
  const KnownAttributes* KnownLocked(const Node& node) const;
  // The directory's entries, listed again when older than the TTL (and the import policy
  // takes in anything) or when refresh; names that changed are added to *changes.
  Result<Entries> EntriesOf(const std::string& path, bool refresh = false,
                            std::vector<Change>* changes = nullptr);
  // The child's inode and listing entry; counts one reference.
  Result<std::pair<uint64_t, DirectoryEntry>> LookupEntry(uint64_t parent, std::string_view name);
  Status RefreshDirectory(const std::string& path, std::vector<Change>* changes);
  uint64_t InodeFor(uint64_t parent, const std::string& parent_path, const DirectoryEntry& e);
  NodeAttributes DefaultAttributes(uint64_t ino, const Node& node) const;
  // The object's metadata: saved (attribute_cache), or from one GET of a small file (which
  // caches its data too), or from a HEAD.
  Result<ObjectMeta> MetadataOf(const ObjectVersion& object, const DirectoryEntry& listed);

  ObjectStore& store_;
  const NamespaceOptions options_;
  const Clock* const clock_;
  const int64_t mounted_at_ns_;
  ChangeListener listener_;
  std::unordered_set<std::string>
      shown_directories_;  // with only_paths: "a/", "a/b/", ...  // directories' times: they have
                           // no object of their own
  std::mutex mu_;
  std::unordered_map<uint64_t, Node> nodes_;                      // guarded by mu_
  std::map<std::pair<uint64_t, std::string>, uint64_t> by_name_;  // guarded by mu_
  // By directory path, kept when the kernel forgets the directory's inode (a walk through a
  // path does not list it again), ordered so that a subtree is a range.
  std::map<std::string, Listing> listings_;                     // guarded by mu_
  std::unordered_map<std::string, uint64_t> directory_inodes_;  // guarded by mu_; by path
  // By file path, kept when the kernel forgets the inode (prefetch reads them ahead of the
  // reader's lookups); ordered so that a directory's files are a range.
  std::map<std::string, KnownAttributes> attributes_;  // guarded by mu_
  uint64_t next_ino_ = kRootIno + 1;                   // guarded by mu_
};

}  // namespace ferry::fs
