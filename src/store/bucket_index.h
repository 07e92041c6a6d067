// BucketIndex: the SQLite schema of a bucket's index.db and every statement run against it.
//
// One database per bucket (WAL mode). Keys are stored as BLOBs, so SQLite orders them with
// memcmp: UTF-8 byte order, which is the order S3 lists in, and any byte is allowed. The
// objects table is clustered by key (WITHOUT ROWID) and holds only small columns; inline
// bodies live in inline_data so that listing scans stay dense. See doc/LOCAL_STORE.md.
//
// These are free functions over a Db: the caller chooses the connection (the group commit
// writer for mutations, a pooled reader otherwise) and the transaction. Thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ferry/object_store.h"
#include "store/listing.h"
#include "store/object_row.h"
#include "store/sqlite_db.h"

namespace ferry::local::index {

inline constexpr int kSchemaVersion = 1;

// Pragmas for a connection: the writer (and the maintenance one) or a pooled reader.
Status Configure(Db& db, bool writer, bool fsync);
// Creates the tables of a new bucket.
Status CreateSchema(Db& db, int64_t created_ns);
// Checks the schema version; returns the bucket's creation time.
Result<int64_t> ReadSchema(Db& db);

// ---- objects ----
// The row for key, or nullopt. When inline_bytes is set and the body is inline, fills it.
Result<std::optional<ObjectRow>> GetObject(Db& db, std::string_view key, std::string* inline_bytes);
// Inserts or replaces the row for row.meta.key (with inline_bytes when the body is inline),
// counting a packed body's bytes as live in its pack. Adds what the replaced version
// released to garbage.
Status PutObject(Db& db, const ObjectRow& row, std::string_view inline_bytes, Garbage* garbage);
// Deletes key's row and inline data; adds what it released to garbage. OK when missing.
Status DeleteObject(Db& db, std::string_view key, Garbage* garbage);
Result<bool> HasObjects(Db& db);

// A cursor over objects in key order; meta() has key, size, etag, last-modified and
// storage class. Uses one prepared statement of db until destroyed.
class ObjectCursor final : public SortedCursor {
 public:
  explicit ObjectCursor(Db* db) : db_(db) {}
  Status Seek(std::string_view lower) override;
  Status Next() override;
  bool Valid() const override { return valid_; }
  std::string_view key() const override { return meta_.key; }
  const ObjectMeta& meta() const { return meta_; }

 private:
  Status Load();
  Db* db_;
  std::optional<Stmt> stmt_;
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

Status InsertUpload(Db& db, const UploadRow& upload);
Result<std::optional<UploadRow>> GetUpload(Db& db, std::string_view upload_id);
// Deletes the upload and its parts; appends the parts' blobs to dropped.
Status DeleteUpload(Db& db, std::string_view upload_id, std::vector<BlobId>* dropped);

// Inserts or replaces a part; appends the replaced part's blob to dropped.
Status PutPart(Db& db, std::string_view upload_id, const PartRow& part,
               std::vector<BlobId>* dropped);
// Parts with number > after, ascending, at most limit (limit < 0: all).
Result<std::vector<PartRow>> ListParts(Db& db, std::string_view upload_id, int after, int limit);

// A cursor over uploads ordered by (key, upload id).
class UploadCursor final : public SortedCursor {
 public:
  explicit UploadCursor(Db* db) : db_(db) {}
  Status Seek(std::string_view lower) override;
  // Positions at the first upload after (key, upload_id).
  Status SeekAfter(std::string_view key, std::string_view upload_id);
  Status Next() override;
  bool Valid() const override { return valid_; }
  std::string_view key() const override { return info_.key; }
  const MultipartUploadInfo& info() const { return info_; }

 private:
  Status Load();
  Db* db_;
  std::optional<Stmt> stmt_;
  std::string bound_key_, bound_id_;
  bool valid_ = false;
  MultipartUploadInfo info_;
};

// ---- packs ----
// Adds delta to the live bytes of pack (creating its row); a pack whose live bytes reach zero
// is added to garbage->emptied_packs (when garbage is set).
Status AddPackBytes(Db& db, const BlobId& pack, int64_t delta, Garbage* garbage);
struct PackUsage {
  BlobId pack;
  uint64_t live = 0;
};
Result<std::vector<PackUsage>> ListPacks(Db& db);
// Removes the row of pack if it has no live bytes; returns whether it did.
Result<bool> DropPackIfEmpty(Db& db, const BlobId& pack);
// Objects stored in pack: key and offset.
struct PackedObject {
  std::string key;
  uint64_t offset = 0;
  uint64_t size = 0;
};
Result<std::vector<PackedObject>> ObjectsInPack(Db& db, const BlobId& pack, size_t limit);
// Points key's body at to instead of from, if it is still at from; moves the live bytes.
// Returns whether the row was moved.
Result<bool> MovePackedObject(Db& db, const PackedObject& from_obj, const BlobId& from,
                              const PackRange& to);

// ---- recovery ----
// Every blob referenced by an object, a part or the packs table.
Result<std::vector<BlobId>> ReferencedBlobs(Db& db);

}  // namespace ferry::local::index
