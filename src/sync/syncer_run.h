// One run of `ferry sync` (RunSync builds it): the walk and merge of both sides, the decision and
// action per path, the deletion phase and verification. Internal to src/sync; its methods are
// split by phase over syncer.cc and syncer_verify.cc.
#pragma once

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "sync/entry_stream.h"
#include "sync/report.h"
#include "sync/state_db.h"
#include "sync/syncer.h"
#include "transfer/archived_sources.h"

namespace ferry::sync {

// An entry whose name is its place in the merge, the other side's counterpart if any.
struct PathPair {
  std::optional<Entry> src;
  std::optional<Entry> dst;
  const std::string& name() const { return src ? src->name : dst->name; }
};

inline transfer::TransferOptions WithJournal(transfer::TransferOptions options,
                                             transfer::UploadJournal* journal) {
  options.journal = journal;
  return options;
}

class Syncer {
 public:
  Syncer(ObjectStore& src_store, ObjectStore& dst_store, const SyncLocation& src,
         const SyncLocation& dst, const SyncOptions& options, transfer::Progress& progress,
         std::unique_ptr<StateDb> state)
      : src_store_(src_store),
        dst_store_(dst_store),
        src_(src),
        dst_(dst),
        options_(options),
        progress_(progress),
        state_(std::move(state)),
        journal_(state_ ? std::make_unique<StateUploadJournal>(*state_, options.endpoint_id)
                        : nullptr),
        report_(options.report_path),
        archived_({.restore = options.restore,
                   .progress =
                       [](const std::string& line) {
                         std::fprintf(stderr, "ferry sync: %s\n", line.c_str());
                       },
                   .interrupted = [this] { return Interrupted(); }}),
        workers_(std::max<size_t>(options.transfer.transfers, 1)),
        engine_(dst.is_s3 ? dst_store : src_store, WithJournal(options.transfer, journal_.get()),
                progress) {}

  Result<SyncResult> Run();

 private:
  std::string Where(const SyncLocation& l, const std::string& name) const {
    return l.is_s3 ? "s3://" + l.bucket + "/" + l.prefix + name : l.LocalPath(name);
  }
  std::string StateLocation(const SyncLocation& l) const {
    const bool own_source = &l == &src_ && !options_.source_endpoint_id.empty();
    return (own_source ? options_.source_endpoint_id : options_.endpoint_id) + "/" + l.bucket;
  }
  ObjectStore& StoreOf(const SyncLocation& l) const {
    return &l == &src_ ? src_store_ : dst_store_;
  }

  std::unique_ptr<EntryStream> Stream(const SyncLocation& l, bool is_source);
  // Pairs the two sorted streams by name; with stop_when_interrupted, stops early when the
  // run is interrupted.
  void Merge(EntryStream& a, EntryStream& b, const std::function<void(PathPair)>& fn,
             bool stop_when_interrupted = false);
  bool Interrupted() const { return engine_.Interrupted(); }
  void FromState(const SyncLocation& l, Entry& e);
  // FromState for the entries of the merge, which come in key order (the merge's thread only).
  void FromStateInOrder(const SyncLocation& l, std::optional<StateDb::OrderedLookup>& lookup,
                        Entry& e);
  // other: the entry e will be compared with (its checksums decide which one a file needs).
  Status FillDetails(const SyncLocation& l, Entry& e, bool attrs, bool checksum,
                     const Entry* other);
  // A local file's digest ("CRC32C", "MD5"), from the state while the file is unchanged.
  Result<std::string> CachedFileDigest(const Entry& file, std::string_view name,
                                       const std::function<Result<std::string>()>& compute);
  void Handle(PathPair pair);
  void Act(const PathPair& pair, const Decision& d);
  void Copy(const PathPair& pair, const std::string& reason);
  void UpdateMetadata(const PathPair& pair, const std::string& reason);
  void StartCopy(const PathPair& pair, const std::string& reason);
  void OnCopied(const PathPair& pair, const std::string& reason, const transfer::JobOutcome& out);
  void Fail(const std::string& name, const std::string& what, const Status& st);
  void DeleteExtras();
  void Verify();
  void VerifyOne(const Entry& src_entry);

  ObjectStore& src_store_;
  ObjectStore& dst_store_;
  const SyncLocation& src_;
  const SyncLocation& dst_;
  const SyncOptions& options_;
  transfer::Progress& progress_;
  std::unique_ptr<StateDb> state_;
  std::unique_ptr<StateUploadJournal> journal_;                        // null without state
  std::optional<StateDb::OrderedLookup> src_in_order_, dst_in_order_;  // the merge's
  TaskReport report_;

  std::mutex mu_;
  SyncResult result_;                   // guarded by mu_ (counters and errors)
  std::vector<std::string> deletions_;  // guarded by mu_: names, in key order
  std::vector<Entry> to_verify_;        // guarded by mu_: source entries copied
  std::atomic<uint64_t> walk_errors_{0};
  transfer::ArchivedSources archived_;  // guarded by mu_ until the decisions are made

  ThreadPool workers_;               // HEADs, checksums, metadata updates, verification
  transfer::TransferEngine engine_;  // last: waits for its jobs before the rest goes
};

}  // namespace ferry::sync
