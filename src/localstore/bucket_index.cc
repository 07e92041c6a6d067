// Schema and object statements of a bucket index. Upload and part statements are in
// upload_index.cc.
#include "localstore/bucket_index.h"

#include <charconv>

namespace ferry::local::index {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE bucket(name TEXT PRIMARY KEY, value ANY) WITHOUT ROWID;
CREATE TABLE objects(
  key BLOB PRIMARY KEY,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  mtime_ns INTEGER NOT NULL,
  storage_class TEXT NOT NULL,
  parts_count INTEGER NOT NULL,
  meta TEXT NOT NULL,
  inline_id INTEGER,
  pack BLOB,
  pack_offset INTEGER,
  segments BLOB
) WITHOUT ROWID;
CREATE INDEX objects_by_pack ON objects(pack) WHERE pack IS NOT NULL;
CREATE TABLE inline_data(id INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
CREATE TABLE packs(id BLOB PRIMARY KEY, live INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE uploads(
  upload_id TEXT PRIMARY KEY,
  key BLOB NOT NULL,
  initiated_ns INTEGER NOT NULL,
  storage_class TEXT NOT NULL,
  checksum_algorithm TEXT NOT NULL,
  meta TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX uploads_by_key ON uploads(key, upload_id);
CREATE TABLE parts(
  upload_id TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  mtime_ns INTEGER NOT NULL,
  checksum TEXT NOT NULL,
  blob BLOB NOT NULL,
  PRIMARY KEY(upload_id, part_number)
) WITHOUT ROWID;
)sql";

// Version 2: object versions. Older versions and delete markers live in their own table, so
// that listing current objects stays one range scan of `objects` however many versions a key
// has; vseq orders a key's versions (0: written before versioning), vnull marks the "null"
// version.
constexpr const char* kSchemaTo2 = R"sql(
ALTER TABLE objects ADD COLUMN vseq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE objects ADD COLUMN vnull INTEGER NOT NULL DEFAULT 1;
CREATE TABLE versions(
  key BLOB NOT NULL,
  vseq INTEGER NOT NULL,
  vnull INTEGER NOT NULL,
  delete_marker INTEGER NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  mtime_ns INTEGER NOT NULL,
  storage_class TEXT NOT NULL,
  parts_count INTEGER NOT NULL,
  meta TEXT NOT NULL,
  inline_id INTEGER,
  pack BLOB,
  pack_offset INTEGER,
  segments BLOB,
  PRIMARY KEY(key, vseq DESC)
) WITHOUT ROWID;
CREATE INDEX versions_by_pack ON versions(pack) WHERE pack IS NOT NULL;
PRAGMA user_version=2;
)sql";

}  // namespace

Status Configure(sqlite::Db& db, bool writer, bool fsync) {
  // Every connection gets the synchronous level: the last one to close checkpoints the WAL.
  // The busy timeout first: any statement may need the schema, and so a lock another
  // connection holds while many open at once.
  std::string pragmas = "PRAGMA busy_timeout=10000;";
  pragmas += fsync ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=OFF;";
  pragmas += "PRAGMA temp_store=MEMORY;";
  if (writer) {
    // WAL is kept in the file: readers, opened after the writer, find it set. (A reader
    // asking for it too can meet SQLITE_BUSY without the busy handler being called, when many
    // open at once: 32 concurrent HEADs on a fresh bucket did.)
    pragmas += "PRAGMA journal_mode=WAL;";
    // Checkpoints run on a background thread (Maintainer), never inside a commit.
    pragmas += "PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-32768;";
    pragmas += "PRAGMA journal_size_limit=67108864;";
  } else {
    pragmas += "PRAGMA cache_size=-8192; PRAGMA mmap_size=268435456;";
  }
  return db.Exec(pragmas);
}

Status CreateSchema(sqlite::Db& db, int64_t created_ns) {
  FERRY_RETURN_IF_ERROR(db.Exec("BEGIN"));
  Status s = db.Exec(kSchema);
  if (s.ok()) s = db.Exec(kSchemaTo2);
  if (s.ok()) {
    auto stmt = db.Prepare("INSERT INTO bucket(name, value) VALUES('created_ns', ?1)");
    s = stmt.ok() ? stmt->Bind(1, created_ns).Run() : stmt.status();
  }
  if (s.ok()) s = db.Exec("PRAGMA user_version=" + std::to_string(kSchemaVersion) + "; COMMIT");
  if (!s.ok()) (void)db.Exec("ROLLBACK");
  return s;
}

Result<int64_t> ReadSchema(sqlite::Db& db) {
  FERRY_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version"));
  if (version == 1) {
    FERRY_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    Status s = db.Exec(kSchemaTo2);
    if (s.ok()) s = db.Exec("COMMIT");
    if (!s.ok()) {
      (void)db.Exec("ROLLBACK");
      return s;
    }
    version = 2;
  }
  if (version != kSchemaVersion) {
    return Status::NotImplemented(db.path() + ": index format version " + std::to_string(version) +
                                  ", this build reads " + std::to_string(kSchemaVersion))
        .WithS3Code("InternalError", 500);
  }
  return db.QueryInt("SELECT value FROM bucket WHERE name = 'created_ns'");
}

Result<std::optional<ObjectRow>> GetObject(sqlite::Db& db, std::string_view key,
                                           std::string* inline_bytes) {
  static const std::string kMeta =
      "SELECT " + std::string(kRowColumns) + " FROM objects WHERE key = ?1";
  static const std::string kWithData =
      "SELECT " + std::string(kRowColumns) +
      ", (SELECT bytes FROM inline_data WHERE id = inline_id) FROM objects WHERE key = ?1";
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt stmt, db.Prepare(inline_bytes ? kWithData : kMeta));
  stmt.BindBlob(1, key);
  FERRY_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return std::optional<ObjectRow>();
  ObjectRow row;
  FERRY_RETURN_IF_ERROR(ReadRow(db, stmt, 0, key, &row));
  if (inline_bytes != nullptr) inline_bytes->assign(stmt.Blob(kRowColumnCount));
  return std::optional<ObjectRow>(std::move(row));
}

Status AddPackBytes(sqlite::Db& db, const BlobId& pack, int64_t delta, Garbage* garbage) {
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                         db.Prepare("INSERT INTO packs(id, live) VALUES(?1, ?2) ON CONFLICT(id) DO "
                                    "UPDATE SET live = live + excluded.live RETURNING live"));
  stmt.BindBlob(1, pack.Raw()).Bind(2, delta);
  FERRY_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (garbage != nullptr && delta < 0) {
    garbage->pack_bytes += static_cast<uint64_t>(-delta);
    if (row && stmt.Int(0) == 0) garbage->emptied_packs.push_back(pack);
  }
  return stmt.Run();
}

// Drops key's current object, releasing its body. OK when there is none.
Status DropCurrent(sqlite::Db& db, std::string_view key, Garbage* garbage) {
  FERRY_ASSIGN_OR_RETURN(auto current, GetObject(db, key, nullptr));
  if (!current) return Status::OK();
  FERRY_RETURN_IF_ERROR(ReleaseBody(db, *current, garbage));
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt del, db.Prepare("DELETE FROM objects WHERE key = ?1"));
  return del.BindBlob(1, key).Run();
}

Status InsertCurrent(sqlite::Db& db, const ObjectRow& row, std::string_view inline_bytes) {
  const ObjectMeta& m = row.meta;
  std::optional<int64_t> inline_id;
  bool is_inline = row.segments.empty() && !row.packed;
  if (is_inline && !inline_bytes.empty()) {
    FERRY_ASSIGN_OR_RETURN(sqlite::Stmt ins,
                           db.Prepare("INSERT INTO inline_data(bytes) VALUES(?1)"));
    FERRY_RETURN_IF_ERROR(ins.BindBlob(1, inline_bytes).Run());
    inline_id = sqlite3_last_insert_rowid(db.raw());
  }
  if (row.packed) {
    FERRY_RETURN_IF_ERROR(
        AddPackBytes(db, row.packed->pack, static_cast<int64_t>(row.packed->size), nullptr));
  }
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt put,
      db.Prepare("INSERT INTO objects(key, size, etag, mtime_ns, storage_class, "
                 "parts_count, meta, inline_id, pack, pack_offset, segments, vseq, vnull) "
                 "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"));
  std::string meta = EncodeMetaJson(m.headers, m.checksum);
  std::string segments = EncodeSegments(row.segments);
  put.BindBlob(1, m.key)
      .Bind(2, static_cast<int64_t>(m.size))
      .BindText(3, m.etag)
      .Bind(4, m.last_modified_ns)
      .BindText(5, m.headers.storage_class)
      .Bind(6, m.parts_count)
      .BindText(7, meta)
      .Bind(12, static_cast<int64_t>(row.version_seq))
      .Bind(13, row.null_version ? 1 : 0);
  if (inline_id) {
    put.Bind(8, *inline_id);
  } else {
    put.BindNull(8);
  }
  if (row.packed) {
    put.BindBlob(9, row.packed->pack.Raw()).Bind(10, static_cast<int64_t>(row.packed->offset));
  } else {
    put.BindNull(9).BindNull(10);
  }
  if (row.segments.empty()) {
    put.BindNull(11);
  } else {
    put.BindBlob(11, segments);
  }
  return put.Run();
}

Result<bool> HasObjects(sqlite::Db& db) {
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt stmt, db.Prepare("SELECT 1 FROM objects UNION ALL "
                                                       "SELECT 1 FROM versions LIMIT 1"));
  return stmt.Step();
}

Status ObjectCursor::Seek(std::string_view lower) {
  stmt_.reset();
  lower_.assign(lower);
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db_->Prepare("SELECT key, size, etag, mtime_ns, storage_class, parts_count, "
                   // An archived object's restore, for RestoreStatus: "[ready,expiry]", or
                   // NULL. Most archived objects were never restored: the JSON is parsed
                   // only for those whose document names a restore.
                   "CASE WHEN storage_class IN ('GLACIER', 'DEEP_ARCHIVE') AND "
                   "instr(meta, '\"restore\":') > 0 THEN json_extract(meta, "
                   "'$.restore.ready_ns', '$.restore.expiry_ns') END "
                   "FROM objects WHERE key >= ?1 ORDER BY key"));
  stmt_.emplace(std::move(stmt));
  stmt_->BindBlob(1, lower_);
  return Load();
}

Status ObjectCursor::Next() {
  return Load();
}

Status ObjectCursor::Load() {
  FERRY_ASSIGN_OR_RETURN(valid_, stmt_->Step());
  if (!valid_) return Status::OK();
  meta_.key.assign(stmt_->Blob(0));
  meta_.size = static_cast<uint64_t>(stmt_->Int(1));
  meta_.etag.assign(stmt_->Text(2));
  meta_.last_modified_ns = stmt_->Int(3);
  meta_.headers.storage_class.assign(stmt_->Text(4));
  meta_.parts_count = static_cast<int>(stmt_->Int(5));
  meta_.headers.restore_ready_ns = meta_.headers.restore_expiry_ns = 0;
  if (!stmt_->IsNull(6)) {
    // "[ready,expiry]", as json_extract gives two paths.
    const std::string_view pair = stmt_->Text(6);
    const size_t comma = pair.find(',');
    if (pair.size() > 2 && comma != std::string_view::npos) {
      std::from_chars(pair.data() + 1, pair.data() + comma, meta_.headers.restore_ready_ns);
      std::from_chars(pair.data() + comma + 1, pair.data() + pair.size() - 1,
                      meta_.headers.restore_expiry_ns);
    }
  }
  return Status::OK();
}

}  // namespace ferry::local::index
