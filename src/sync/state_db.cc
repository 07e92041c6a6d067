#include "sync/state_db.h"

#include <sys/stat.h>

#include <filesystem>

#include "core/checksum.h"

namespace ferry::sync {
namespace {

constexpr size_t kBatchWrites = 2000;
constexpr auto kBatchAge = std::chrono::seconds(1);

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS objects(
  location TEXT NOT NULL, key TEXT NOT NULL,
  etag TEXT NOT NULL, size INTEGER NOT NULL,
  last_modified INTEGER,  -- NULL until a listing shows it (a PUT answer does not)
  mode INTEGER, uid INTEGER, gid INTEGER, mtime INTEGER, atime INTEGER,
  checksum_algorithm TEXT, checksum TEXT,
  PRIMARY KEY(location, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS file_checksums(
  dev INTEGER NOT NULL, ino INTEGER NOT NULL,
  size INTEGER NOT NULL, mtime INTEGER NOT NULL, ctime INTEGER NOT NULL,
  algorithm TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY(dev, ino, algorithm)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads(
  location TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL,
  part_size INTEGER NOT NULL, upload_id TEXT NOT NULL,
  PRIMARY KEY(location, key)) WITHOUT ROWID;
)sql";

constexpr int64_t kOrderedReadRows = 1024;
constexpr const char* kObjectColumns =
    "key, etag, size, last_modified, mode, uid, gid, mtime, atime, checksum_algorithm, checksum";

// A row selected with kObjectColumns.
StoredObject ReadObject(const sqlite::Stmt& stmt) {
  StoredObject o;
  o.key = stmt.Text(0);
  o.etag = stmt.Text(1);
  o.size = static_cast<uint64_t>(stmt.Int(2));
  if (!stmt.IsNull(3)) o.last_modified_ns = stmt.Int(3);
  if (!stmt.IsNull(4)) o.attrs.mode = static_cast<uint32_t>(stmt.Int(4));
  if (!stmt.IsNull(5)) o.attrs.uid = static_cast<uint32_t>(stmt.Int(5));
  if (!stmt.IsNull(6)) o.attrs.gid = static_cast<uint32_t>(stmt.Int(6));
  if (!stmt.IsNull(7)) o.attrs.mtime_ns = stmt.Int(7);
  if (!stmt.IsNull(8)) o.attrs.atime_ns = stmt.Int(8);
  o.checksum_algorithm = stmt.Text(9);
  o.checksum = stmt.Text(10);
  return o;
}

void BindOptional(sqlite::Stmt& s, int i, const std::optional<uint32_t>& v) {
  if (v) {
    s.Bind(i, *v);
  } else {
    s.BindNull(i);
  }
}
void BindOptional(sqlite::Stmt& s, int i, const std::optional<int64_t>& v) {
  if (v) {
    s.Bind(i, *v);
  } else {
    s.BindNull(i);
  }
}

}  // namespace

Result<std::unique_ptr<StateDb>> StateDb::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(dir + ": " + ec.message());
  FERRY_ASSIGN_OR_RETURN(auto db, sqlite::Db::Open(dir + "/sync-state.db", true));
  FERRY_RETURN_IF_ERROR(db->Exec(kSchema));
  return std::unique_ptr<StateDb>(new StateDb(std::move(db)));
}

StateDb::~StateDb() {
  (void)Flush();
}

Status StateDb::Begin() {
  if (in_batch_) return Status::OK();
  FERRY_RETURN_IF_ERROR(db_->Exec("BEGIN"));
  in_batch_ = true;
  batch_writes_ = 0;
  batch_start_ = std::chrono::steady_clock::now();
  return Status::OK();
}

void StateDb::AfterWrite() {
  ++batch_writes_;
  if (batch_writes_ >= kBatchWrites ||
      std::chrono::steady_clock::now() - batch_start_ > kBatchAge) {
    Status st = db_->Exec("COMMIT");
    if (!st.ok() && write_error_.ok()) write_error_ = st;
    in_batch_ = false;
  }
}

Status StateDb::Flush() {
  std::lock_guard lock(mu_);
  if (in_batch_) {
    Status st = db_->Exec("COMMIT");
    in_batch_ = false;
    if (!st.ok() && write_error_.ok()) write_error_ = st;
  }
  return write_error_;
}

bool StateDb::LookupObject(const std::string& location, const std::string& key, Entry& entry) {
  std::lock_guard lock(mu_);
  static const std::string kSql =
      std::string("SELECT ") + kObjectColumns + " FROM objects WHERE location = ? AND key = ?";
  auto stmt = db_->Prepare(kSql);
  if (!stmt.ok()) return false;
  stmt->BindText(1, location).BindText(2, key);
  auto row = stmt->Step();
  if (!row.ok() || !*row) return false;
  StoredObject stored = ReadObject(*stmt);
  stmt->Reset();
  return Apply(location, stored, entry);
}

bool StateDb::OrderedLookup::Lookup(const std::string& key, Entry& entry) {
  if (key < last_key_) return db_.LookupObject(location_, key, entry);
  last_key_ = key;
  std::lock_guard lock(db_.mu_);
  while (next_ < rows_.size() && rows_[next_].key < key) ++next_;
  if (next_ == rows_.size() && !read_all_) {
    rows_.clear();
    next_ = 0;
    static const std::string kSql = std::string("SELECT ") + kObjectColumns +
                                    " FROM objects WHERE location = ? AND key >= ? ORDER BY key"
                                    " LIMIT ?";
    auto stmt = db_.db_->Prepare(kSql);
    if (!stmt.ok()) return false;
    stmt->BindText(1, location_).BindText(2, key).Bind(3, kOrderedReadRows);
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) {
        rows_.clear();
        return false;
      }
      if (!*row) break;
      rows_.push_back(ReadObject(*stmt));
    }
    stmt->Reset();
    read_all_ = rows_.size() < kOrderedReadRows;
  }
  if (next_ == rows_.size() || rows_[next_].key != key) return false;
  return db_.Apply(location_, rows_[next_], entry);
}

bool StateDb::Apply(const std::string& location, const StoredObject& row, Entry& entry) {
  if (row.etag != entry.etag || row.size != entry.size) return false;
  const bool fill_last_modified = !row.last_modified_ns;
  if (!fill_last_modified && *row.last_modified_ns != entry.last_modified_ns) return false;
  entry.attrs = row.attrs;
  entry.has_attrs = true;
  if (!row.checksum.empty()) {
    if (auto alg = ParseChecksumAlgorithm(row.checksum_algorithm)) {
      entry.checksum = ObjectChecksum{*alg, row.checksum};
    }
  }
  if (entry.attrs.mode && S_ISLNK(*entry.attrs.mode) && !entry.name.ends_with('/')) {
    entry.kind = EntryKind::kSymlink;
  }
  if (fill_last_modified) {
    // The first listing after ferry wrote the object: from now on a metadata-only change
    // (which keeps the ETag but not Last-Modified) invalidates the record.
    auto update =
        db_->Prepare("UPDATE objects SET last_modified = ? WHERE location = ? AND key = ?");
    if (update.ok() && Begin().ok()) {
      Status st =
          update->Bind(1, entry.last_modified_ns).BindText(2, location).BindText(3, row.key).Run();
      if (!st.ok() && write_error_.ok()) write_error_ = st;
      AfterWrite();
    }
  }
  return true;
}

void StateDb::RecordObject(const std::string& location, const std::string& key,
                           const Entry& entry) {
  std::lock_guard lock(mu_);
  if (!Begin().ok()) return;
  auto stmt = db_->Prepare(
      "INSERT OR REPLACE INTO objects(location, key, etag, size, last_modified, mode, uid, gid, "
      "mtime, atime, checksum_algorithm, checksum) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!stmt.ok()) return;
  stmt->BindText(1, location).BindText(2, key).BindText(3, entry.etag);
  stmt->Bind(4, static_cast<int64_t>(entry.size));
  if (entry.last_modified_ns > 0) {
    stmt->Bind(5, entry.last_modified_ns);
  } else {
    stmt->BindNull(5);
  }
  BindOptional(*stmt, 6, entry.attrs.mode);
  BindOptional(*stmt, 7, entry.attrs.uid);
  BindOptional(*stmt, 8, entry.attrs.gid);
  BindOptional(*stmt, 9, entry.attrs.mtime_ns);
  BindOptional(*stmt, 10, entry.attrs.atime_ns);
  std::string algorithm, value;
  if (entry.checksum && !entry.checksum->composite) {
    algorithm = ChecksumAlgorithmName(entry.checksum->algorithm);
    value = entry.checksum->value;
  }
  stmt->BindText(11, algorithm).BindText(12, value);
  Status st = stmt->Run();
  if (!st.ok() && write_error_.ok()) write_error_ = st;
  AfterWrite();
}

std::optional<std::string> StateDb::LookupFileChecksum(const Entry& file,
                                                       std::string_view algorithm) {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare(
      "SELECT value FROM file_checksums WHERE dev = ? AND ino = ? AND algorithm = ? AND "
      "size = ? AND mtime = ? AND ctime = ?");
  if (!stmt.ok()) return std::nullopt;
  stmt->Bind(1, static_cast<int64_t>(file.dev)).Bind(2, static_cast<int64_t>(file.ino));
  stmt->BindText(3, algorithm).Bind(4, static_cast<int64_t>(file.size));
  stmt->Bind(5, file.attrs.mtime_ns.value_or(0)).Bind(6, file.ctime_ns);
  auto row = stmt->Step();
  if (!row.ok() || !*row) return std::nullopt;
  return std::string(stmt->Text(0));
}

void StateDb::RecordFileChecksum(const Entry& file, std::string_view algorithm,
                                 const std::string& value) {
  std::lock_guard lock(mu_);
  if (!Begin().ok()) return;
  auto stmt = db_->Prepare(
      "INSERT OR REPLACE INTO file_checksums(dev, ino, size, mtime, ctime, algorithm, value) "
      "VALUES (?,?,?,?,?,?,?)");
  if (!stmt.ok()) return;
  stmt->Bind(1, static_cast<int64_t>(file.dev)).Bind(2, static_cast<int64_t>(file.ino));
  stmt->Bind(3, static_cast<int64_t>(file.size)).Bind(4, file.attrs.mtime_ns.value_or(0));
  stmt->Bind(5, file.ctime_ns).BindText(6, algorithm).BindText(7, value);
  Status st = stmt->Run();
  if (!st.ok() && write_error_.ok()) write_error_ = st;
  AfterWrite();
}

std::optional<std::string> StateDb::FindUpload(const std::string& location,
                                               const transfer::UploadIdentity& id) {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare(
      "SELECT upload_id FROM uploads WHERE location = ? AND key = ? AND size = ? AND mtime = ? "
      "AND part_size = ?");
  if (!stmt.ok()) return std::nullopt;
  stmt->BindText(1, location).BindText(2, id.key).Bind(3, static_cast<int64_t>(id.size));
  stmt->Bind(4, id.mtime_ns).Bind(5, static_cast<int64_t>(id.part_size));
  auto row = stmt->Step();
  if (!row.ok() || !*row) return std::nullopt;
  return std::string(stmt->Text(0));
}

void StateDb::UploadStarted(const std::string& location, const transfer::UploadIdentity& id,
                            const std::string& upload_id) {
  {
    std::lock_guard lock(mu_);
    if (!Begin().ok()) return;
    auto stmt = db_->Prepare(
        "INSERT OR REPLACE INTO uploads(location, key, size, mtime, part_size, upload_id) "
        "VALUES (?,?,?,?,?,?)");
    if (!stmt.ok()) return;
    stmt->BindText(1, location).BindText(2, id.key).Bind(3, static_cast<int64_t>(id.size));
    stmt->Bind(4, id.mtime_ns).Bind(5, static_cast<int64_t>(id.part_size));
    stmt->BindText(6, upload_id);
    Status st = stmt->Run();
    if (!st.ok() && write_error_.ok()) write_error_ = st;
  }
  (void)Flush();
}

void StateDb::UploadEnded(const std::string& location, const transfer::UploadIdentity& id) {
  std::lock_guard lock(mu_);
  if (!Begin().ok()) return;
  auto stmt = db_->Prepare("DELETE FROM uploads WHERE location = ? AND key = ?");
  if (!stmt.ok()) return;
  stmt->BindText(1, location).BindText(2, id.key);
  Status st = stmt->Run();
  if (!st.ok() && write_error_.ok()) write_error_ = st;
  AfterWrite();
}

}  // namespace ferry::sync
