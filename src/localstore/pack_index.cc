// Pack statements of a bucket index (declared in bucket_index.h): live-byte accounting per
// pack, and the queries the maintenance pass uses to drop and compact packs.
#include "localstore/bucket_index.h"

namespace ferry::local::index {

Result<std::vector<PackUsage>> ListPacks(sqlite::Db& db) {
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt stmt, db.Prepare("SELECT id, live FROM packs"));
  std::vector<PackUsage> out;
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    auto id = BlobId::FromRaw(stmt.Blob(0));
    if (!id) return Status::Corruption(db.path() + ": bad pack id");
    out.push_back({*id, static_cast<uint64_t>(stmt.Int(1))});
  }
  return out;
}

Result<bool> DropPackIfEmpty(sqlite::Db& db, const BlobId& pack) {
  FERRY_ASSIGN_OR_RETURN(sqlite::Stmt stmt,
                         db.Prepare("DELETE FROM packs WHERE id = ?1 AND live = 0"));
  FERRY_RETURN_IF_ERROR(stmt.BindBlob(1, pack.Raw()).Run());
  return sqlite3_changes(db.raw()) > 0;
}

Result<std::vector<PackedObject>> ObjectsInPack(sqlite::Db& db, const BlobId& pack, size_t limit) {
  // Older versions keep their bodies in packs too.
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db.Prepare("SELECT key, pack_offset, size, NULL FROM objects WHERE pack = ?1 "
                 "UNION ALL SELECT key, pack_offset, size, vseq FROM versions "
                 "WHERE pack = ?1 LIMIT ?2"));
  stmt.BindBlob(1, pack.Raw()).Bind(2, static_cast<int64_t>(limit));
  std::vector<PackedObject> out;
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    PackedObject obj{std::string(stmt.Blob(0)), static_cast<uint64_t>(stmt.Int(1)),
                     static_cast<uint64_t>(stmt.Int(2)), std::nullopt};
    if (!stmt.IsNull(3)) obj.version_seq = static_cast<uint64_t>(stmt.Int(3));
    out.push_back(std::move(obj));
  }
  return out;
}

Result<bool> MovePackedObject(sqlite::Db& db, const PackedObject& obj, const BlobId& from,
                              const PackRange& to) {
  FERRY_ASSIGN_OR_RETURN(
      sqlite::Stmt stmt,
      db.Prepare(obj.version_seq
                     ? "UPDATE versions SET pack = ?1, pack_offset = ?2 WHERE key = ?3 AND "
                       "pack = ?4 AND pack_offset = ?5 AND size = ?6 AND vseq = ?7"
                     : "UPDATE objects SET pack = ?1, pack_offset = ?2 "
                       "WHERE key = ?3 AND pack = ?4 AND pack_offset = ?5 AND size = ?6"));
  if (obj.version_seq) stmt.Bind(7, static_cast<int64_t>(*obj.version_seq));
  stmt.BindBlob(1, to.pack.Raw())
      .Bind(2, static_cast<int64_t>(to.offset))
      .BindBlob(3, obj.key)
      .BindBlob(4, from.Raw())
      .Bind(5, static_cast<int64_t>(obj.offset))
      .Bind(6, static_cast<int64_t>(obj.size));
  FERRY_RETURN_IF_ERROR(stmt.Run());
  if (sqlite3_changes(db.raw()) == 0) return false;
  auto size = static_cast<int64_t>(obj.size);
  FERRY_RETURN_IF_ERROR(AddPackBytes(db, from, -size, nullptr));
  FERRY_RETURN_IF_ERROR(AddPackBytes(db, to.pack, size, nullptr));
  return true;
}

}  // namespace ferry::local::index
