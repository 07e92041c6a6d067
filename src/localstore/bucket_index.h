// BucketIndex: the SQLite schema of a bucket's index.db and every statement run against it.
//
// One database per bucket (WAL mode). Keys are stored as BLOBs, so SQLite orders them with
// memcmp: UTF-8 byte order, which is the order S3 lists in, and any byte is allowed. The
// objects table is clustered by key (WITHOUT ROWID) and holds only small columns; inline
// bodies live in inline_data so that listing scans stay dense. See doc/LOCAL_STORE.md.
//
// These are free functions over a sqlite::Db: the caller chooses the connection (the group commit
// writer for mutations, a pooled reader otherwise) and the transaction. Thread-compatible.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ferry/object_store.h"
#include "localstore/index_rows.h"
#include "store/grouped_listing.h"
#include "localstore/object_row.h"
#include "sqlite/db.h"

namespace ferry::local::index {

// 2 added object versions (the versions table, vseq and vnull in objects); a version 1 index
// is upgraded in place when its bucket opens.
inline constexpr int kSchemaVersion = 2;

// Pragmas for a connection: the writer (and the maintenance one) or a pooled reader.
Status Configure(sqlite::Db& db, bool writer, bool fsync);
// Creates the tables of a new bucket.
Status CreateSchema(sqlite::Db& db, int64_t created_ns);
// Checks the schema version, upgrading an older one; returns the bucket's creation time.
Result<int64_t> ReadSchema(sqlite::Db& db);

// ---- objects ----
// The current version of key, or nullopt (also when the latest is a delete marker). When
// inline_bytes is set and the body is inline, fills it.
Result<std::optional<ObjectRow>> GetObject(sqlite::Db& db, std::string_view key,
                                           std::string* inline_bytes);
// Writes row as the new current version of row.meta.key (with inline_bytes when the body is
// inline), counting a packed body's bytes as live in its pack. What becomes of the version it
// replaces follows the bucket's versioning: dropped (its release added to garbage), or kept
// as an older version. Sets row's version fields.
Status PutObject(sqlite::Db& db, ObjectRow& row, std::string_view inline_bytes, Garbage* garbage);
// Deletes key as S3 does without a version id: drops the current version in an unversioned
// bucket (OK when missing), else adds a delete marker (at time now_ns).
Result<DeleteOutcome> DeleteObject(sqlite::Db& db, std::string_view key, int64_t now_ns,
                                   Garbage* garbage);
// Objects or versions of any kind.
Result<bool> HasObjects(sqlite::Db& db);

// ---- versions (version_index.cc) ----
// Names one version of a key.
struct VersionRef {
  enum class Kind { kLatest, kNull, kSeq } kind = Kind::kLatest;
  uint64_t seq = 0;
};
// "" names the latest, "null" the null version, 16 hex digits a version by sequence;
// anything else is InvalidArgument.
Result<VersionRef> ParseVersionId(std::string_view id);
std::string FormatVersionRef(const VersionRef& ref);

Result<VersioningStatus> GetVersioning(sqlite::Db& db);
Status SetVersioning(sqlite::Db& db, VersioningStatus status);

// The version ref names, or nullopt. For kLatest: the current object, else a latest delete
// marker (meta.delete_marker set).
Result<std::optional<ObjectRow>> GetVersion(sqlite::Db& db, std::string_view key,
                                            const VersionRef& ref, std::string* inline_bytes);
// Removes one version for good and makes the next newest current; OK when it does not exist.
// A version under legal hold, or retained past now_ns (GOVERNANCE without bypass, or
// COMPLIANCE), is AccessDenied.
Result<DeleteOutcome> DeleteVersion(sqlite::Db& db, std::string_view key, const VersionRef& ref,
                                    int64_t now_ns, bool bypass_governance, Garbage* garbage);
// Applies edit to the stored headers of the version ref names and writes them back; returns
// the row after. NoSuchKey / NoSuchVersion when missing, MethodNotAllowed for a delete marker,
// PreconditionFailed when if_match_etag is given and differs.
Result<ObjectRow> EditVersion(sqlite::Db& db, std::string_view bucket, std::string_view key,
                              const VersionRef& ref,
                              const std::function<Status(ObjectHeaders&)>& edit,
                              std::string_view if_match_etag);

// The archive tier. DetachBody: the version ref names, if it still has etag, an archived
// class and its bytes here, now has them in the archive tier under archived_as: its local body
// is released to garbage. False (nothing changed) when the version is not that any more.
Result<bool> DetachBody(sqlite::Db& db, std::string_view key, const VersionRef& ref,
                        std::string_view etag, std::string_view archived_as, Garbage* garbage);
// Versions of an archived class whose bytes are still here, in key order after `after`:
// (key, version id or "" for the current one, etag), at most limit.
struct PendingMove {
  std::string key;
  std::string version_id;
  std::string etag;
};
Result<std::vector<PendingMove>> PendingMoves(sqlite::Db& db, std::string_view after, size_t limit);

// Documents kept for the server in the bucket table; nullopt when absent.
Status SetConfig(sqlite::Db& db, std::string_view name, const std::optional<std::string>& document);
Result<std::optional<std::string>> GetConfig(sqlite::Db& db, std::string_view name);

// A cursor over every version in (key, newest first) order: the current objects merged with
// the older versions and delete markers.
class VersionCursor final : public SortedCursor {
 public:
  explicit VersionCursor(sqlite::Db* db) : db_(db) {}
  Status Seek(std::string_view lower) override;
  Status Next() override;
  bool Valid() const override { return current_ != nullptr; }
  std::string_view key() const override { return current_->version.meta.key; }
  const ObjectVersion& version() const { return current_->version; }
  uint64_t seq() const { return current_->seq; }

 private:
  struct Side {
    std::optional<sqlite::Stmt> stmt;
    bool valid = false;
    ObjectVersion version;
    uint64_t seq = 0;
  };
  static Status Load(Side& side);
  void Pick();
  sqlite::Db* db_;
  std::string lower_;
  Side objects_, versions_;
  Side* current_ = nullptr;
  std::string previous_key_;  // key of the entry before current_ ('latest' is a key's first)
  bool has_previous_ = false;
};

// A cursor over objects in key order; meta() has key, size, etag, last-modified and
// storage class. Uses one prepared statement of db until destroyed.
class ObjectCursor final : public SortedCursor {
 public:
  explicit ObjectCursor(sqlite::Db* db) : db_(db) {}
  Status Seek(std::string_view lower) override;
  Status Next() override;
  bool Valid() const override { return valid_; }
  std::string_view key() const override { return meta_.key; }
  const ObjectMeta& meta() const { return meta_; }

 private:
  Status Load();
  sqlite::Db* db_;
  std::optional<sqlite::Stmt> stmt_;
  std::string lower_;
  bool valid_ = false;
  ObjectMeta meta_;
};

// ---- multipart uploads ----
struct UploadRow {
  MultipartUploadInfo info;
  ObjectHeaders headers;  // without storage_class (in info)
  ChecksumAlgorithm checksum_algorithm = ChecksumAlgorithm::kNone;
};
struct PartRow {
  PartInfo info;
  BlobId blob;
};

Status InsertUpload(sqlite::Db& db, const UploadRow& upload);
Result<std::optional<UploadRow>> GetUpload(sqlite::Db& db, std::string_view upload_id);
// Deletes the upload and its parts; appends the parts' blobs to dropped.
Status DeleteUpload(sqlite::Db& db, std::string_view upload_id, std::vector<BlobId>* dropped);

// Inserts or replaces a part; appends the replaced part's blob to dropped.
Status PutPart(sqlite::Db& db, std::string_view upload_id, const PartRow& part,
               std::vector<BlobId>* dropped);
// Parts with number > after, ascending, at most limit (limit < 0: all).
Result<std::vector<PartRow>> ListParts(sqlite::Db& db, std::string_view upload_id, int after,
                                       int limit);

// A cursor over uploads ordered by (key, upload id).
class UploadCursor final : public SortedCursor {
 public:
  explicit UploadCursor(sqlite::Db* db) : db_(db) {}
  Status Seek(std::string_view lower) override;
  // Positions at the first upload after (key, upload_id).
  Status SeekAfter(std::string_view key, std::string_view upload_id);
  Status Next() override;
  bool Valid() const override { return valid_; }
  std::string_view key() const override { return info_.key; }
  const MultipartUploadInfo& info() const { return info_; }

 private:
  Status Load();
  sqlite::Db* db_;
  std::optional<sqlite::Stmt> stmt_;
  std::string bound_key_, bound_id_;
  bool valid_ = false;
  MultipartUploadInfo info_;
};

// ---- packs ----
// Adds delta to the live bytes of pack (creating its row); a pack whose live bytes reach zero
// is added to garbage->emptied_packs (when garbage is set).
Status AddPackBytes(sqlite::Db& db, const BlobId& pack, int64_t delta, Garbage* garbage);
struct PackUsage {
  BlobId pack;
  uint64_t live = 0;
};
Result<std::vector<PackUsage>> ListPacks(sqlite::Db& db);
// Removes the row of pack if it has no live bytes; returns whether it did.
Result<bool> DropPackIfEmpty(sqlite::Db& db, const BlobId& pack);
// Objects stored in pack: key and offset (and the version, for an older version).
struct PackedObject {
  std::string key;
  uint64_t offset = 0;
  uint64_t size = 0;
  std::optional<uint64_t> version_seq;  // set for a row of the versions table
};
Result<std::vector<PackedObject>> ObjectsInPack(sqlite::Db& db, const BlobId& pack, size_t limit);
// Points key's body at to instead of from, if it is still at from; moves the live bytes.
// Returns whether the row was moved.
Result<bool> MovePackedObject(sqlite::Db& db, const PackedObject& from_obj, const BlobId& from,
                              const PackRange& to);

// ---- recovery ----
// Every blob referenced by an object, a part or the packs table.
Result<std::vector<BlobId>> ReferencedBlobs(sqlite::Db& db);

}  // namespace ferry::local::index
