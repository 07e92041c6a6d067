// Multipart upload and part statements of a bucket index, and the blob references the
// recovery sweep keeps. Declared in bucket_index.h.
#include "core/checksum.h"
#include "localstore/bucket_index.h"

namespace ferry::local::index {

Status InsertUpload(sqlite::Db& db, const UploadRow& u) {
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db.Prepare("INSERT INTO uploads(upload_id, key, initiated_ns, storage_class, "
                 "checksum_algorithm, meta) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
  std::string meta = EncodeMetaJson(u.headers, std::nullopt);
  std::string_view alg = u.checksum_algorithm == ChecksumAlgorithm::kNone
                             ? std::string_view()
                             : ChecksumAlgorithmName(u.checksum_algorithm);
  return stmt.BindText(1, u.info.upload_id)
      .BindBlob(2, u.info.key)
      .Bind(3, u.info.initiated_ns)
      .BindText(4, u.info.storage_class)
      .BindText(5, alg)
      .BindText(6, meta)
      .Run();
}

Result<std::optional<UploadRow>> GetUpload(sqlite::Db& db, std::string_view upload_id) {
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db.Prepare("SELECT key, initiated_ns, storage_class, checksum_algorithm, meta "
                 "FROM uploads WHERE upload_id = ?1"));
  stmt.BindText(1, upload_id);
  FERRY_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return std::optional<UploadRow>();
  UploadRow u;
  u.info.upload_id.assign(upload_id);
  u.info.key.assign(stmt.Blob(0));
  u.info.initiated_ns = stmt.Int(1);
  u.info.storage_class.assign(stmt.Text(2));
  if (!stmt.Text(3).empty()) {
    auto alg = ParseChecksumAlgorithm(stmt.Text(3));
    if (alg) u.checksum_algorithm = *alg;
  }
  std::optional<ObjectChecksum> unused;
  FERRY_RETURN_IF_ERROR(DecodeMetaJson(stmt.Text(4), &u.headers, &unused));
  u.headers.storage_class = u.info.storage_class;
  return std::optional<UploadRow>(std::move(u));
}

Status DeleteUpload(sqlite::Db& db, std::string_view upload_id, std::vector<BlobId>* dropped) {
  {
    FERRY_ASSIGN_OR_RETURN(sqlite::Stmt blobs,
                           db.Prepare("SELECT blob FROM parts WHERE upload_id = ?1"));
    blobs.BindText(1, upload_id);
    for (;;) {
      FERRY_ASSIGN_OR_RETURN(bool row, blobs.Step());
      if (!row) break;
      if (auto id = BlobId::FromRaw(blobs.Blob(0))) dropped->push_back(*id);
    }
  }
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt parts, db.Prepare("DELETE FROM parts WHERE upload_id = ?1"));
  FERRY_RETURN_IF_ERROR(parts.BindText(1, upload_id).Run());
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt upload,
                         db.Prepare("DELETE FROM uploads WHERE upload_id = ?1"));
  return upload.BindText(1, upload_id).Run();
}

Status PutPart(sqlite::Db& db, std::string_view upload_id, const PartRow& part,
               std::vector<BlobId>* dropped) {
  {
    FERRY_ASSIGN_OR_RETURN(
        sqlite::Stmt old,
        db.Prepare("SELECT blob FROM parts WHERE upload_id = ?1 AND part_number = ?2"));
    old.BindText(1, upload_id).Bind(2, part.info.part_number);
    FERRY_ASSIGN_OR_RETURN(bool found, old.Step());
    if (found) {
      if (auto id = BlobId::FromRaw(old.Blob(0))) dropped->push_back(*id);
    }
  }
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db.Prepare("INSERT OR REPLACE INTO parts(upload_id, part_number, size, etag, mtime_ns, "
                 "checksum, blob) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  std::string checksum = EncodeChecksumJson(part.info.checksum);
  return stmt.BindText(1, upload_id)
      .Bind(2, part.info.part_number)
      .Bind(3, static_cast<int64_t>(part.info.size))
      .BindText(4, part.info.etag)
      .Bind(5, part.info.last_modified_ns)
      .BindText(6, checksum)
      .BindBlob(7, part.blob.Raw())
      .Run();
}

Result<std::vector<PartRow>> ListParts(sqlite::Db& db, std::string_view upload_id, int after,
                                       int limit) {
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db.Prepare("SELECT part_number, size, etag, mtime_ns, checksum, blob FROM parts "
                 "WHERE upload_id = ?1 AND part_number > ?2 ORDER BY part_number "
                 "LIMIT ?3"));
  stmt.BindText(1, upload_id).Bind(2, after).Bind(3, limit);
  std::vector<PartRow> out;
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    PartRow p;
    p.info.part_number = static_cast<int>(stmt.Int(0));
    p.info.size = static_cast<uint64_t>(stmt.Int(1));
    p.info.etag.assign(stmt.Text(2));
    p.info.last_modified_ns = stmt.Int(3);
    FERRY_ASSIGN_OR_RETURN(p.info.checksum, DecodeChecksumJson(stmt.Text(4)));
    auto blob = BlobId::FromRaw(stmt.Blob(5));
    if (!blob) return Status::Corruption(db.path() + ": bad part blob id");
    p.blob = *blob;
    out.push_back(std::move(p));
  }
  return out;
}

Status UploadCursor::Seek(std::string_view lower) {
  stmt_.reset();
  bound_key_.assign(lower);
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db_->Prepare("SELECT key, upload_id, initiated_ns, storage_class FROM uploads "
                   "WHERE key >= ?1 ORDER BY key, upload_id"));
  stmt_.emplace(std::move(stmt));
  stmt_->BindBlob(1, bound_key_);
  return Load();
}

Status UploadCursor::SeekAfter(std::string_view key, std::string_view upload_id) {
  stmt_.reset();
  bound_key_.assign(key);
  bound_id_.assign(upload_id);
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db_->Prepare("SELECT key, upload_id, initiated_ns, storage_class FROM uploads "
                   "WHERE (key, upload_id) > (?1, ?2) ORDER BY key, upload_id"));
  stmt_.emplace(std::move(stmt));
  stmt_->BindBlob(1, bound_key_).BindText(2, bound_id_);
  return Load();
}

Status UploadCursor::Next() {
  return Load();
}

Status UploadCursor::Load() {
  FERRY_ASSIGN_OR_RETURN(valid_, stmt_->Step());
  if (!valid_) return Status::OK();
  info_.key.assign(stmt_->Blob(0));
  info_.upload_id.assign(stmt_->Text(1));
  info_.initiated_ns = stmt_->Int(2);
  info_.storage_class.assign(stmt_->Text(3));
  return Status::OK();
}

Result<std::vector<BlobId>> ReferencedBlobs(sqlite::Db& db) {
  std::vector<BlobId> out;
  {
    FERRY_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                           db.Prepare("SELECT segments FROM objects WHERE segments IS NOT NULL "
                                      "UNION ALL SELECT segments FROM versions "
                                      "WHERE segments IS NOT NULL"));
    for (;;) {
      FERRY_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      FERRY_ASSIGN_OR_RETURN(auto segments, DecodeSegments(stmt.Blob(0)));
      for (const auto& s : segments) out.push_back(s.blob);
    }
  }
  for (const char* sql : {"SELECT blob FROM parts", "SELECT id FROM packs"}) {
    FERRY_ASSIGN_OR_RETURN(sqlite::Stmt stmt, db.Prepare(sql));
    for (;;) {
      FERRY_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      if (auto id = BlobId::FromRaw(stmt.Blob(0))) out.push_back(*id);
    }
  }
  return out;
}

}  // namespace ferry::local::index
