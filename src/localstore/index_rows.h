// Reading and releasing object rows, shared by the statements over `objects` (current
// versions) and `versions` (older versions and delete markers), which store a body the same
// way. Internal to the bucket index. Thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include "localstore/object_row.h"
#include "sqlite/db.h"

namespace ferry::local::index {

// The columns every object row has, in this order, for a SELECT list.
inline constexpr std::string_view kRowColumns =
    "size, etag, mtime_ns, storage_class, parts_count, meta, inline_id, pack, pack_offset, "
    "segments, vseq, vnull";
inline constexpr int kRowColumnCount = 12;

// Fills row from the kRowColumns of stmt starting at column first (key is not among them).
Status ReadRow(sqlite::Db& db, const sqlite::Stmt& stmt, int first, std::string_view key,
               ObjectRow* row);

// Gives back what a row's body holds: its inline bytes, its bytes in a pack, its blobs.
Status ReleaseBody(sqlite::Db& db, const ObjectRow& row, Garbage* garbage);

Status Corrupt(sqlite::Db& db, std::string_view what);

// Drops key's current object (releasing its body); OK when there is none.
Status DropCurrent(sqlite::Db& db, std::string_view key, Garbage* garbage);
// Inserts row as key's current object; there must be none.
Status InsertCurrent(sqlite::Db& db, const ObjectRow& row, std::string_view inline_bytes);

// "0123456789abcdef": the id of the version with sequence seq.
std::string FormatVersionId(uint64_t seq);

}  // namespace ferry::local::index
