#include "localstore/index_rows.h"

#include <cstdio>

#include "localstore/bucket_index.h"

namespace ferry::local::index {

Status Corrupt(sqlite::Db& db, std::string_view what) {
  return Status::Corruption(db.path() + ": bad " + std::string(what))
      .WithS3Code("InternalError", 500);
}

std::string FormatVersionId(uint64_t seq) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(seq));
  return buf;
}

Status ReadRow(sqlite::Db& db, const sqlite::Stmt& stmt, int first, std::string_view key,
               ObjectRow* row) {
  ObjectMeta& m = row->meta;
  m.key.assign(key);
  m.size = static_cast<uint64_t>(stmt.Int(first + 0));
  m.etag.assign(stmt.Text(first + 1));
  m.last_modified_ns = stmt.Int(first + 2);
  m.parts_count = static_cast<int>(stmt.Int(first + 4));
  FERRY_RETURN_IF_ERROR(
      DecodeMetaJson(stmt.Text(first + 5), &m.headers, &m.checksum, &row->archived_as));
  m.headers.storage_class.assign(stmt.Text(first + 3));
  if (!stmt.IsNull(first + 6)) row->inline_id = stmt.Int(first + 6);
  if (!stmt.IsNull(first + 7)) {
    auto pack = BlobId::FromRaw(stmt.Blob(first + 7));
    if (!pack) return Corrupt(db, "pack id");
    row->packed = PackRange{*pack, static_cast<uint64_t>(stmt.Int(first + 8)), m.size};
  }
  if (!stmt.IsNull(first + 9)) {
    FERRY_ASSIGN_OR_RETURN(row->segments, DecodeSegments(stmt.Blob(first + 9)));
    if (m.parts_count > 0) {
      for (const auto& s : row->segments) m.part_sizes.push_back(s.size);
    }
  }
  row->version_seq = static_cast<uint64_t>(stmt.Int(first + 10));
  row->null_version = stmt.Int(first + 11) != 0;
  m.version_id = row->null_version ? "null" : FormatVersionId(row->version_seq);
  return Status::OK();
}

Status ReleaseBody(sqlite::Db& db, const ObjectRow& row, Garbage* garbage) {
  if (row.inline_id) {
    FERRY_ASSIGN_OR_RETURN(sqlite::Stmt del, db.Prepare("DELETE FROM inline_data WHERE id = ?1"));
    FERRY_RETURN_IF_ERROR(del.Bind(1, *row.inline_id).Run());
  }
  if (row.packed) {
    FERRY_RETURN_IF_ERROR(
        AddPackBytes(db, row.packed->pack, -static_cast<int64_t>(row.packed->size), garbage));
  }
  for (const auto& s : row.segments) garbage->blobs.push_back(s.blob);
  if (!row.archived_as.empty()) garbage->archived.push_back(row.archived_as);
  return Status::OK();
}

}  // namespace ferry::local::index
