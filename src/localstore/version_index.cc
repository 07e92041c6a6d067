// Version statements of a bucket index (declared in bucket_index.h): the versioning status,
// writes and deletes that keep, replace or mark versions as S3 does, reads of one version, and
// the merged walk over all versions.
//
// Invariant: a key's current object (the newest version, when that is not a delete marker) is
// its row in `objects`; every other version and every delete marker is a row in `versions`.
// So the newest row of `versions` is older than the `objects` row, if there is one, and is a
// delete marker if there is none.
#include <algorithm>
#include <charconv>

#include "localstore/bucket_index.h"
#include "localstore/index_rows.h"
#include "s3/errors.h"
#include "s3/restore.h"

namespace ferry::local::index {
namespace {

// The newest row of `versions` for key (its sequence and whether it is a delete marker).
struct NewestOlder {
  uint64_t seq = 0;
  bool delete_marker = false;
};
Result<std::optional<NewestOlder>> NewestInVersions(sqlite::Db& db, std::string_view key) {
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                         db.Prepare("SELECT vseq, delete_marker FROM versions "
                                    "WHERE key = ?1 ORDER BY vseq DESC LIMIT 1"));
  stmt.BindBlob(1, key);
  FERRY_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return std::optional<NewestOlder>();
  return std::optional<NewestOlder>(
      NewestOlder{static_cast<uint64_t>(stmt.Int(0)), stmt.Int(1) != 0});
}

// A sequence for a new version of key: after every version it has, and at least now_ns so
// that ids grow with time.
Result<uint64_t> NextSeq(sqlite::Db& db, std::string_view key, int64_t now_ns) {
  uint64_t seq = static_cast<uint64_t>(std::max<int64_t>(now_ns, 1));
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt cur, db.Prepare("SELECT vseq FROM objects WHERE key = ?1"));
  cur.BindBlob(1, key);
  FERRY_ASSIGN_OR_RETURN(bool found, cur.Step());
  if (found) seq = std::max(seq, static_cast<uint64_t>(cur.Int(0)) + 1);
  FERRY_ASSIGN_OR_RETURN(auto older, NewestInVersions(db, key));
  if (older) seq = std::max(seq, older->seq + 1);
  return seq;
}

// Moves key's current object, if any, into `versions` as an older version.
Status ArchiveCurrent(sqlite::Db& db, std::string_view key) {
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt copy,
      db.Prepare("INSERT INTO versions(key, vseq, vnull, delete_marker, size, etag, mtime_ns, "
                 "storage_class, parts_count, meta, inline_id, pack, pack_offset, segments) "
                 "SELECT key, vseq, vnull, 0, size, etag, mtime_ns, storage_class, parts_count, "
                 "meta, inline_id, pack, pack_offset, segments FROM objects WHERE key = ?1"));
  FERRY_RETURN_IF_ERROR(copy.BindBlob(1, key).Run());
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt del, db.Prepare("DELETE FROM objects WHERE key = ?1"));
  return del.BindBlob(1, key).Run();
}

// After the current object or the newest version went: makes the newest remaining version
// current when it is an object (a delete marker stays where it is, as the latest).
Status PromoteNewest(sqlite::Db& db, std::string_view key) {
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt cur, db.Prepare("SELECT 1 FROM objects WHERE key = ?1"));
  cur.BindBlob(1, key);
  FERRY_ASSIGN_OR_RETURN(bool has_current, cur.Step());
  if (has_current) return Status::OK();
  FERRY_ASSIGN_OR_RETURN(auto newest, NewestInVersions(db, key));
  if (!newest || newest->delete_marker) return Status::OK();
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt copy,
      db.Prepare("INSERT INTO objects(key, size, etag, mtime_ns, storage_class, parts_count, "
                 "meta, inline_id, pack, pack_offset, segments, vseq, vnull) "
                 "SELECT key, size, etag, mtime_ns, storage_class, parts_count, meta, inline_id, "
                 "pack, pack_offset, segments, vseq, vnull FROM versions "
                 "WHERE key = ?1 AND vseq = ?2"));
  copy.BindBlob(1, key).Bind(2, static_cast<int64_t>(newest->seq));
  FERRY_RETURN_IF_ERROR(copy.Run());
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt del,
                         db.Prepare("DELETE FROM versions WHERE key = ?1 AND vseq = ?2"));
  return del.BindBlob(1, key).Bind(2, static_cast<int64_t>(newest->seq)).Run();
}

// A row of `versions`: the null version (null_only), else the one with sequence seq; with its
// body's inline bytes when inline_bytes is set.
Result<std::optional<ObjectRow>> GetOlderRow(sqlite::Db& db, std::string_view key, bool null_only,
                                             uint64_t seq, std::string* inline_bytes) {
  static const std::string kSelect =
      "SELECT " + std::string(kRowColumns) +
      ", delete_marker, (SELECT bytes FROM inline_data WHERE id = inline_id) FROM versions ";
  static const std::string kByNull = kSelect + "WHERE key = ?1 AND vnull = 1";
  static const std::string kBySeq = kSelect + "WHERE key = ?1 AND vseq = ?2";
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt stmt, db.Prepare(null_only ? kByNull : kBySeq));
  stmt.BindBlob(1, key);
  if (!null_only) stmt.Bind(2, static_cast<int64_t>(seq));
  FERRY_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return std::optional<ObjectRow>();
  ObjectRow row;
  FERRY_RETURN_IF_ERROR(ReadRow(db, stmt, 0, key, &row));
  row.meta.delete_marker = stmt.Int(kRowColumnCount) != 0;
  if (inline_bytes != nullptr) inline_bytes->assign(stmt.Blob(kRowColumnCount + 1));
  return std::optional<ObjectRow>(std::move(row));
}

// The row of `versions` that ref (kNull or kSeq) names.
Result<std::optional<ObjectRow>> GetOlder(sqlite::Db& db, std::string_view key,
                                          const VersionRef& ref, std::string* inline_bytes) {
  bool null_only = ref.kind == VersionRef::Kind::kNull;
  FERRY_ASSIGN_OR_RETURN(auto row, GetOlderRow(db, key, null_only, ref.seq, inline_bytes));
  // A null version is named "null", never by its sequence.
  if (row && !null_only && row->null_version) return std::optional<ObjectRow>();
  return row;
}

bool Names(const ObjectRow& row, const VersionRef& ref) {
  if (ref.kind == VersionRef::Kind::kNull) return row.null_version;
  return !row.null_version && row.version_seq == ref.seq;
}

Status DeleteOlderRow(sqlite::Db& db, std::string_view key, uint64_t seq) {
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt del,
                         db.Prepare("DELETE FROM versions WHERE key = ?1 AND vseq = ?2"));
  return del.BindBlob(1, key).Bind(2, static_cast<int64_t>(seq)).Run();
}

// Drops key's null version wherever it is (current object, older version, delete marker).
Status DropNullVersion(sqlite::Db& db, std::string_view key, Garbage* garbage) {
  FERRY_ASSIGN_OR_RETURN(auto current, GetObject(db, key, nullptr));
  if (current && current->null_version) return DropCurrent(db, key, garbage);
  FERRY_ASSIGN_OR_RETURN(auto older,
                         GetOlder(db, key, VersionRef{VersionRef::Kind::kNull, 0}, nullptr));
  if (!older) return Status::OK();
  FERRY_RETURN_IF_ERROR(ReleaseBody(db, *older, garbage));
  return DeleteOlderRow(db, key, older->version_seq);
}

Status InsertDeleteMarker(sqlite::Db& db, std::string_view key, uint64_t seq, bool null_version,
                          int64_t now_ns) {
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt ins,
      db.Prepare("INSERT INTO versions(key, vseq, vnull, delete_marker, size, etag, "
                 "mtime_ns, storage_class, parts_count, meta) "
                 "VALUES(?1, ?2, ?3, 1, 0, '', ?4, '', 0, '{}')"));
  return ins.BindBlob(1, key)
      .Bind(2, static_cast<int64_t>(seq))
      .Bind(3, null_version ? 1 : 0)
      .Bind(4, now_ns)
      .Run();
}

Status CheckNotLocked(const ObjectHeaders& h, int64_t now_ns, bool bypass_governance) {
  bool retained = !h.lock_mode.empty() && h.lock_until_ns > now_ns &&
                  (h.lock_mode == "COMPLIANCE" || !bypass_governance);
  if (retained || h.legal_hold.value_or(false)) {
    return s3err::AccessDenied("Access Denied because object protected by object lock.");
  }
  return Status::OK();
}

}  // namespace

Result<ObjectRow> EditVersion(sqlite::Db& db, std::string_view bucket, std::string_view key,
                              const VersionRef& ref,
                              const std::function<Status(ObjectHeaders&)>& edit,
                              std::string_view if_match_etag) {
  FERRY_ASSIGN_OR_RETURN(auto current, GetObject(db, key, nullptr));
  std::optional<ObjectRow> row;
  bool is_current = current && (ref.kind == VersionRef::Kind::kLatest || Names(*current, ref));
  if (is_current) {
    row = std::move(current);
  } else {
    FERRY_ASSIGN_OR_RETURN(row, GetVersion(db, key, ref, nullptr));
  }
  if (!row) {
    if (ref.kind == VersionRef::Kind::kLatest) return s3err::NoSuchKey(bucket, key);
    return s3err::NoSuchVersion(key, FormatVersionRef(ref));
  }
  if (row->meta.delete_marker) {
    return s3err::MethodNotAllowed("The specified method is not allowed against this resource.");
  }
  if (!if_match_etag.empty() && row->meta.etag != if_match_etag) {
    return s3err::PreconditionFailed(
        "At least one of the pre-conditions you specified did not hold");
  }
  FERRY_RETURN_IF_ERROR(edit(row->meta.headers));
  std::string meta = EncodeMetaJson(row->meta.headers, row->meta.checksum, row->archived_as);
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt update,
      db.Prepare(is_current ? "UPDATE objects SET meta = ?1, storage_class = ?4 "
                              "WHERE key = ?2"
                            : "UPDATE versions SET meta = ?1, storage_class = ?4 "
                              "WHERE key = ?2 AND vseq = ?3"));
  update.BindText(1, meta).BindBlob(2, key).BindText(4, row->meta.headers.storage_class);
  if (!is_current) update.Bind(3, static_cast<int64_t>(row->version_seq));
  FERRY_RETURN_IF_ERROR(update.Run());
  return std::move(*row);
}

Result<bool> DetachBody(sqlite::Db& db, std::string_view key, const VersionRef& ref,
                        std::string_view etag, std::string_view archived_as, Garbage* garbage) {
  FERRY_ASSIGN_OR_RETURN(auto current, GetObject(db, key, nullptr));
  std::optional<ObjectRow> row;
  const bool is_current =
      current && (ref.kind == VersionRef::Kind::kLatest || Names(*current, ref));
  if (is_current) {
    row = std::move(current);
  } else if (ref.kind != VersionRef::Kind::kLatest) {
    FERRY_ASSIGN_OR_RETURN(row, GetOlder(db, key, ref, nullptr));
  }
  if (!row || row->meta.delete_marker || row->meta.etag != etag || !row->archived_as.empty() ||
      !s3::IsArchivedStorageClass(row->meta.headers.storage_class)) {
    return false;
  }
  FERRY_RETURN_IF_ERROR(ReleaseBody(db, *row, garbage));
  const std::string meta = EncodeMetaJson(row->meta.headers, row->meta.checksum, archived_as);
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt update,
      db.Prepare(is_current ? "UPDATE objects SET meta = ?1, inline_id = NULL, pack = NULL, "
                              "pack_offset = NULL, segments = NULL WHERE key = ?2"
                            : "UPDATE versions SET meta = ?1, inline_id = NULL, pack = NULL, "
                              "pack_offset = NULL, segments = NULL WHERE key = ?2 AND vseq = ?3"));
  update.BindText(1, meta).BindBlob(2, key);
  if (!is_current) update.Bind(3, static_cast<int64_t>(row->version_seq));
  FERRY_RETURN_IF_ERROR(update.Run());
  return true;
}

// Rows whose bytes belong in the archive tier but are still here: an archived class, or an
// INTELLIGENT_TIERING version in an archive access tier.
constexpr std::string_view kArchivedBytes =
    "(storage_class IN ('GLACIER', 'DEEP_ARCHIVE') OR (storage_class = 'INTELLIGENT_TIERING' "
    "AND json_extract(meta, '$.archive_access') IS NOT NULL)) AND "
    "json_extract(meta, '$.archived_as') IS NULL";

Result<std::vector<PendingMove>> PendingMoves(sqlite::Db& db, std::string_view after,
                                              size_t limit) {
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db.Prepare("SELECT key, -1, etag FROM objects WHERE key > ?1 AND " +
                 std::string(kArchivedBytes) +
                 " UNION ALL SELECT key, vseq, etag FROM versions WHERE key > ?1 AND "
                 "delete_marker = 0 AND vnull = 0 AND " +
                 std::string(kArchivedBytes) + " ORDER BY 1 LIMIT ?2"));
  stmt.BindBlob(1, after).Bind(2, static_cast<int64_t>(limit));
  std::vector<PendingMove> out;
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    const int64_t seq = stmt.Int(1);
    out.push_back({std::string(stmt.Blob(0)),
                   seq < 0 ? std::string() : FormatVersionId(static_cast<uint64_t>(seq)),
                   std::string(stmt.Text(2))});
  }
  return out;
}

Status SetConfig(sqlite::Db& db, std::string_view name,
                 const std::optional<std::string>& document) {
  std::string row = "config:" + std::string(name);
  if (!document) {
    FERRY_ASSIGN_OR_RETURN(sqlite::Stmt del, db.Prepare("DELETE FROM bucket WHERE name = ?1"));
    return del.BindText(1, row).Run();
  }
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt put,
                         db.Prepare("INSERT OR REPLACE INTO bucket(name, value) VALUES(?1, ?2)"));
  return put.BindText(1, row).BindText(2, *document).Run();
}

Result<std::optional<std::string>> GetConfig(sqlite::Db& db, std::string_view name) {
  std::string row = "config:" + std::string(name);
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt stmt, db.Prepare("SELECT value FROM bucket WHERE name = ?1"));
  stmt.BindText(1, row);
  FERRY_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return std::optional<std::string>();
  return std::optional<std::string>(std::string(stmt.Text(0)));
}

Result<VersionRef> ParseVersionId(std::string_view id) {
  if (id.empty()) return VersionRef{};
  if (id == "null") return VersionRef{VersionRef::Kind::kNull, 0};
  uint64_t seq = 0;
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), seq, 16);
  if (id.size() != 16 || ec != std::errc() || p != id.data() + id.size() ||
      std::any_of(id.begin(), id.end(), [](char c) { return c >= 'A' && c <= 'F'; })) {
    return s3err::InvalidVersionId(id);
  }
  return VersionRef{VersionRef::Kind::kSeq, seq};
}

std::string FormatVersionRef(const VersionRef& ref) {
  switch (ref.kind) {
    case VersionRef::Kind::kLatest:
      return "";
    case VersionRef::Kind::kNull:
      return "null";
    case VersionRef::Kind::kSeq:
      break;
  }
  return FormatVersionId(ref.seq);
}

Result<VersioningStatus> GetVersioning(sqlite::Db& db) {
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                         db.Prepare("SELECT value FROM bucket WHERE name = 'versioning'"));
  FERRY_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return VersioningStatus::kUnversioned;
  return stmt.Text(0) == "Enabled" ? VersioningStatus::kEnabled : VersioningStatus::kSuspended;
}

Status SetVersioning(sqlite::Db& db, VersioningStatus status) {
  if (status == VersioningStatus::kUnversioned) {
    return Status::InvalidArgument("a bucket's versioning can be suspended, not removed");
  }
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt stmt, db.Prepare("INSERT OR REPLACE INTO bucket(name, value) "
                                                       "VALUES('versioning', ?1)"));
  return stmt.BindText(1, status == VersioningStatus::kEnabled ? "Enabled" : "Suspended").Run();
}

Status PutObject(sqlite::Db& db, ObjectRow& row, std::string_view inline_bytes, Garbage* garbage) {
  const std::string& key = row.meta.key;
  FERRY_ASSIGN_OR_RETURN(VersioningStatus status, GetVersioning(db));
  if (status == VersioningStatus::kUnversioned) {
    row.version_seq = 0;
    row.null_version = true;
    FERRY_RETURN_IF_ERROR(DropCurrent(db, key, garbage));
  } else {
    FERRY_ASSIGN_OR_RETURN(row.version_seq, NextSeq(db, key, row.meta.last_modified_ns));
    // Suspended: the new version is the null one, replacing the null version there was.
    row.null_version = status == VersioningStatus::kSuspended;
    if (row.null_version) FERRY_RETURN_IF_ERROR(DropNullVersion(db, key, garbage));
    FERRY_RETURN_IF_ERROR(ArchiveCurrent(db, key));
  }
  row.meta.version_id = row.null_version ? "null" : FormatVersionId(row.version_seq);
  return InsertCurrent(db, row, inline_bytes);
}

Result<DeleteOutcome> DeleteObject(sqlite::Db& db, std::string_view key, int64_t now_ns,
                                   Garbage* garbage) {
  FERRY_ASSIGN_OR_RETURN(VersioningStatus status, GetVersioning(db));
  if (status == VersioningStatus::kUnversioned) {
    FERRY_RETURN_IF_ERROR(DropCurrent(db, key, garbage));
    return DeleteOutcome{};
  }
  FERRY_ASSIGN_OR_RETURN(uint64_t seq, NextSeq(db, key, now_ns));
  bool null_version = status == VersioningStatus::kSuspended;
  if (null_version) FERRY_RETURN_IF_ERROR(DropNullVersion(db, key, garbage));
  FERRY_RETURN_IF_ERROR(ArchiveCurrent(db, key));
  FERRY_RETURN_IF_ERROR(InsertDeleteMarker(db, key, seq, null_version, now_ns));
  return DeleteOutcome{null_version ? "null" : FormatVersionId(seq), true};
}

Result<std::optional<ObjectRow>> GetVersion(sqlite::Db& db, std::string_view key,
                                            const VersionRef& ref, std::string* inline_bytes) {
  FERRY_ASSIGN_OR_RETURN(auto current, GetObject(db, key, inline_bytes));
  if (ref.kind == VersionRef::Kind::kLatest) {
    if (current) return current;
    FERRY_ASSIGN_OR_RETURN(auto newest, NewestInVersions(db, key));
    if (!newest || !newest->delete_marker) return std::optional<ObjectRow>();
    return GetOlderRow(db, key, /*null_only=*/false, newest->seq, nullptr);
  }
  if (current && Names(*current, ref)) return current;
  if (inline_bytes != nullptr) inline_bytes->clear();
  return GetOlder(db, key, ref, inline_bytes);
}

Result<DeleteOutcome> DeleteVersion(sqlite::Db& db, std::string_view key, const VersionRef& ref,
                                    int64_t now_ns, bool bypass_governance, Garbage* garbage) {
  if (ref.kind == VersionRef::Kind::kLatest) {
    return Status::Internal("DeleteVersion needs a version");
  }
  DeleteOutcome outcome;
  outcome.version_id = FormatVersionRef(ref);
  FERRY_ASSIGN_OR_RETURN(auto current, GetObject(db, key, nullptr));
  if (current && Names(*current, ref)) {
    FERRY_RETURN_IF_ERROR(CheckNotLocked(current->meta.headers, now_ns, bypass_governance));
    FERRY_RETURN_IF_ERROR(DropCurrent(db, key, garbage));
  } else {
    FERRY_ASSIGN_OR_RETURN(auto older, GetOlder(db, key, ref, nullptr));
    if (!older) return outcome;
    FERRY_RETURN_IF_ERROR(CheckNotLocked(older->meta.headers, now_ns, bypass_governance));
    outcome.delete_marker = older->meta.delete_marker;
    FERRY_RETURN_IF_ERROR(ReleaseBody(db, *older, garbage));
    FERRY_RETURN_IF_ERROR(DeleteOlderRow(db, key, older->version_seq));
  }
  FERRY_RETURN_IF_ERROR(PromoteNewest(db, key));
  return outcome;
}

// ---- VersionCursor ----

Status VersionCursor::Seek(std::string_view lower) {
  lower_.assign(lower);
  objects_.stmt.reset();
  versions_.stmt.reset();
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt objects,
      db_->Prepare("SELECT key, size, etag, mtime_ns, storage_class, parts_count, "
                   "vseq, vnull, 0 FROM objects WHERE key >= ?1 ORDER BY key"));
  objects_.stmt.emplace(std::move(objects));
  objects_.stmt->BindBlob(1, lower_);
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt versions,
      db_->Prepare("SELECT key, size, etag, mtime_ns, storage_class, parts_count, vseq, vnull, "
                   "delete_marker FROM versions WHERE key >= ?1 ORDER BY key, vseq DESC"));
  versions_.stmt.emplace(std::move(versions));
  versions_.stmt->BindBlob(1, lower_);
  has_previous_ = false;
  FERRY_RETURN_IF_ERROR(Load(objects_));
  FERRY_RETURN_IF_ERROR(Load(versions_));
  Pick();
  return Status::OK();
}

Status VersionCursor::Next() {
  previous_key_ = current_->version.meta.key;
  has_previous_ = true;
  FERRY_RETURN_IF_ERROR(Load(*current_));
  Pick();
  return Status::OK();
}

Status VersionCursor::Load(Side& side) {
  FERRY_ASSIGN_OR_RETURN(side.valid, side.stmt->Step());
  if (!side.valid) return Status::OK();
  const sqlite::Stmt& s = *side.stmt;
  ObjectMeta& m = side.version.meta;
  m.key.assign(s.Blob(0));
  m.size = static_cast<uint64_t>(s.Int(1));
  m.etag.assign(s.Text(2));
  m.last_modified_ns = s.Int(3);
  m.headers.storage_class.assign(s.Text(4));
  m.parts_count = static_cast<int>(s.Int(5));
  side.seq = static_cast<uint64_t>(s.Int(6));
  m.version_id = s.Int(7) != 0 ? "null" : FormatVersionId(side.seq);
  m.delete_marker = s.Int(8) != 0;
  return Status::OK();
}

void VersionCursor::Pick() {
  // A key's current object comes before its older versions (it is the newest).
  if (objects_.valid &&
      (!versions_.valid || objects_.version.meta.key <= versions_.version.meta.key)) {
    current_ = &objects_;
  } else {
    current_ = versions_.valid ? &versions_ : nullptr;
  }
  if (current_ != nullptr) {
    current_->version.is_latest = !has_previous_ || previous_key_ != current_->version.meta.key;
  }
}

}  // namespace ferry::local::index
