#include "gateway/state_db.h"

#include <random>

namespace ferry::gateway {
namespace {
constexpr int64_t kFormat = 1;
}

Result<std::unique_ptr<StateDb>> StateDb::Open(const std::string& path) {
  FERRY_ASSIGN_OR_RETURN(auto db, sqlite::Db::Open(path, /*create=*/true));
  FERRY_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL"));
  FERRY_ASSIGN_OR_RETURN(int64_t version, db->QueryInt("PRAGMA user_version"));
  if (version == 0) {
    std::random_device random;
    const uint32_t generation = (random() & 0x7fffffff) | 1;
    FERRY_RETURN_IF_ERROR(db->Exec(
        "BEGIN;"
        "CREATE TABLE IF NOT EXISTS nodes(ino INTEGER PRIMARY KEY, body TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS ops(id INTEGER PRIMARY KEY AUTOINCREMENT, kind INTEGER, "
        "src TEXT, dst TEXT, etag TEXT);"
        "CREATE TABLE IF NOT EXISTS settings(name TEXT PRIMARY KEY, value INTEGER);"
        "INSERT OR REPLACE INTO settings VALUES('next_ino', 2);"
        "INSERT OR REPLACE INTO settings VALUES('generation', " +
        std::to_string(generation) +
        ");"
        "PRAGMA user_version=" +
        std::to_string(kFormat) + ";COMMIT;"));
  } else if (version != kFormat) {
    return Status::Corruption(path + ": gateway state of format " + std::to_string(version) +
                              ", this ferry reads format " + std::to_string(kFormat));
  }
  auto state = std::unique_ptr<StateDb>(new StateDb(std::move(db)));
  FERRY_RETURN_IF_ERROR(state->SetSynchronous(false));
  return state;
}

Status StateDb::SetSynchronous(bool full) {
  FERRY_RETURN_IF_ERROR(db_->Exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  synchronous_full_ = full;
  return Status::OK();
}

Result<StateDb::Loaded> StateDb::Load() {
  Loaded out;
  {
    FERRY_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("SELECT name, value FROM settings"));
    while (true) {
      FERRY_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      if (stmt.Text(0) == "next_ino") out.next_ino = static_cast<uint64_t>(stmt.Int(1));
      if (stmt.Text(0) == "generation") out.generation = static_cast<uint32_t>(stmt.Int(1));
    }
  }
  {
    FERRY_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("SELECT ino, body FROM nodes"));
    while (true) {
      FERRY_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      FERRY_ASSIGN_OR_RETURN(Node node,
                             DecodeNode(static_cast<uint64_t>(stmt.Int(0)), stmt.Text(1)));
      out.nodes.push_back(std::move(node));
    }
  }
  {
    FERRY_ASSIGN_OR_RETURN(auto stmt,
                           db_->Prepare("SELECT id, kind, src, dst, etag FROM ops ORDER BY id"));
    while (true) {
      FERRY_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      Op op;
      op.id = stmt.Int(0);
      op.kind = static_cast<OpKind>(stmt.Int(1));
      op.src = std::string(stmt.Text(2));
      op.dst = std::string(stmt.Text(3));
      op.etag = std::string(stmt.Text(4));
      out.ops.push_back(std::move(op));
    }
  }
  return out;
}

Status StateDb::Commit(Batch& batch, bool durable) {
  if (batch.empty() && !durable) return Status::OK();
  if (durable != synchronous_full_) FERRY_RETURN_IF_ERROR(SetSynchronous(durable));
  FERRY_RETURN_IF_ERROR(db_->Exec("BEGIN"));
  auto apply = [&]() -> Status {
    for (const Node& node : batch.save) {
      const std::string body = EncodeNode(node);
      FERRY_ASSIGN_OR_RETURN(auto stmt,
                             db_->Prepare("INSERT OR REPLACE INTO nodes(ino, body) VALUES(?, ?)"));
      stmt.Bind(1, static_cast<int64_t>(node.ino)).BindText(2, body);
      FERRY_RETURN_IF_ERROR(stmt.Run());
    }
    for (uint64_t ino : batch.erase) {
      FERRY_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("DELETE FROM nodes WHERE ino = ?"));
      stmt.Bind(1, static_cast<int64_t>(ino));
      FERRY_RETURN_IF_ERROR(stmt.Run());
    }
    for (Op& op : batch.add_ops) {
      FERRY_ASSIGN_OR_RETURN(
          auto stmt, db_->Prepare("INSERT INTO ops(kind, src, dst, etag) VALUES(?, ?, ?, ?)"));
      stmt.Bind(1, static_cast<int>(op.kind)).BindText(2, op.src).BindText(3, op.dst);
      stmt.BindText(4, op.etag);
      FERRY_RETURN_IF_ERROR(stmt.Run());
      op.id = sqlite3_last_insert_rowid(db_->raw());
    }
    for (int64_t id : batch.done_ops) {
      FERRY_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("DELETE FROM ops WHERE id = ?"));
      stmt.Bind(1, id);
      FERRY_RETURN_IF_ERROR(stmt.Run());
    }
    if (batch.next_ino != 0) {
      FERRY_ASSIGN_OR_RETURN(auto stmt,
                             db_->Prepare("UPDATE settings SET value = ? WHERE name = 'next_ino'"));
      stmt.Bind(1, static_cast<int64_t>(batch.next_ino));
      FERRY_RETURN_IF_ERROR(stmt.Run());
    }
    return Status::OK();
  };
  Status st = apply();
  if (!st.ok()) {
    (void)db_->Exec("ROLLBACK");
    return st;
  }
  return db_->Exec("COMMIT");
}

}  // namespace ferry::gateway
