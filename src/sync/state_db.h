// What a sync remembers between runs, in one SQLite file under the state directory:
//
// - objects: for each object ferry wrote or examined, the metadata a listing does not show
//   (POSIX attributes, checksum), valid while the object's ETag, size and Last-Modified are
//   those recorded. A re-sync then compares most objects without a HEAD request each.
// - file_checksums: the checksum of a local file's contents, valid while its device, inode,
//   size, mtime and ctime are unchanged, so `--compare checksum` reads unchanged files once.
// - uploads: multipart uploads in progress, by file version, so an interrupted one resumes.
//
// Writes are batched into transactions (a crash loses at most the last second or so of
// records, which only costs requests on the next run). Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ferry/result.h"
#include "sqlite/db.h"
#include "sync/entry.h"
#include "transfer/upload_journal.h"

namespace ferry::sync {

// One row of the objects table.
struct StoredObject {
  std::string key;
  std::string etag;
  uint64_t size = 0;
  std::optional<int64_t> last_modified_ns;  // none until a listing showed it
  s3::PosixAttributes attrs;
  std::string checksum_algorithm;
  std::string checksum;
};

class StateDb {
 public:
  // Creates dir and "dir/sync-state.db" as needed.
  static Result<std::unique_ptr<StateDb>> Open(const std::string& dir);
  ~StateDb();

  // Fills attrs/checksum of a listed bucket entry when the record still describes the same
  // object version; true on a hit. location identifies endpoint and bucket.
  bool LookupObject(const std::string& location, const std::string& key, Entry& entry);

  // LookupObject for the keys of one location in ascending order (a listing's): the records
  // are read 1,024 at a time, one query for as many keys instead of one each. A key below the
  // previous one is looked up alone. REQUIRES: the StateDb outlives it.
  class OrderedLookup {
   public:
    OrderedLookup(StateDb& db, std::string location) : db_(db), location_(std::move(location)) {}
    bool Lookup(const std::string& key, Entry& entry);

   private:
    StateDb& db_;
    const std::string location_;
    std::vector<StoredObject> rows_;  // keys from the last read on, ascending
    size_t next_ = 0;                 // rows_[next_ - 1].key < the last key asked
    bool read_all_ = false;           // the last read found every remaining record
    std::string last_key_;
  };
  void RecordObject(const std::string& location, const std::string& key, const Entry& entry);

  // A local file's cached checksum (base64) for algorithm, when the file is unchanged.
  std::optional<std::string> LookupFileChecksum(const Entry& file, std::string_view algorithm);
  void RecordFileChecksum(const Entry& file, std::string_view algorithm, const std::string& value);

  // Multipart uploads in progress, so a killed sync continues them (transfer::UploadJournal).
  // Started commits at once: the parts sent after it must be findable after a crash.
  std::optional<std::string> FindUpload(const std::string& location,
                                        const transfer::UploadIdentity& id);
  void UploadStarted(const std::string& location, const transfer::UploadIdentity& id,
                     const std::string& upload_id);
  void UploadEnded(const std::string& location, const transfer::UploadIdentity& id);

  // Commits the open batch.
  Status Flush();

 private:
  explicit StateDb(std::unique_ptr<sqlite::Db> db) : db_(std::move(db)) {}
  // Fills entry from a record read for location when it still describes the listed version
  // (recording the listing's Last-Modified where the record had none). REQUIRES: mu_ held.
  bool Apply(const std::string& location, const StoredObject& row, Entry& entry);
  void AfterWrite();  // REQUIRES: mu_ held
  Status Begin();     // REQUIRES: mu_ held

  std::mutex mu_;
  std::unique_ptr<sqlite::Db> db_;  // guarded by mu_
  bool in_batch_ = false;
  size_t batch_writes_ = 0;
  std::chrono::steady_clock::time_point batch_start_;
  Status write_error_;  // the first failed write, reported by Flush
};

// The state's record of multipart uploads in progress, as the engine's journal, for the
// endpoint endpoint_id. REQUIRES: state outlives it.
class StateUploadJournal final : public transfer::UploadJournal {
 public:
  StateUploadJournal(StateDb& state, std::string endpoint_id)
      : state_(state), endpoint_id_(std::move(endpoint_id)) {}
  std::optional<std::string> Find(const transfer::UploadIdentity& id) override {
    return state_.FindUpload(Location(id), id);
  }
  void Started(const transfer::UploadIdentity& id, const std::string& upload_id) override {
    state_.UploadStarted(Location(id), id, upload_id);
  }
  void Ended(const transfer::UploadIdentity& id) override { state_.UploadEnded(Location(id), id); }

 private:
  std::string Location(const transfer::UploadIdentity& id) const {
    return endpoint_id_ + "/" + id.bucket;
  }
  StateDb& state_;
  const std::string endpoint_id_;
};

}  // namespace ferry::sync
