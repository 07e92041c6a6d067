// `ferry sync`: makes a destination tree match a source tree (local directory ↔ bucket
// prefix, or bucket ↔ bucket on one endpoint), in DataSync's phases:
//
//   preparing     both trees are walked in key order and merged; each name present on either
//                 side gets a decision (compare.h). Details a listing lacks (an object's
//                 POSIX attributes, content checksums) come from the state database or, when
//                 it does not know them, from HEAD requests and file reads on worker threads.
//   transferring  copies and metadata updates go to the transfer engine as they are decided,
//                 so this overlaps with preparing; deletions wait for the end and happen only
//                 when nothing failed.
//   verifying     optional: the content checksums of what was copied (or of everything)
//                 are compared between the two sides.
//
// Memory stays bounded by queue sizes, except for the names awaiting deletion or
// verification.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/object_store.h"
#include "sync/compare.h"
#include "sync/deletion_guard.h"
#include "sync/pattern.h"
#include "transfer/engine.h"
#include "transfer/progress.h"
#include "transfer/restore.h"

namespace ferry::sync {

struct SyncLocation {
  bool is_s3 = false;
  std::string bucket;
  std::string prefix;  // "" or ending in '/'
  std::string root;    // local directory
  std::string Describe() const;
  // The local path of an entry name ("a/b", or "a/" for a directory) under root.
  std::string LocalPath(const std::string& name) const;
};

enum class VerifyMode { kNone, kTransferred, kAll };

struct SyncOptions {
  CompareOptions compare;
  PathSelector selector;
  bool delete_extra = false;  // --delete
  DeletionLimits deletion_limits;
  bool dry_run = false;
  // With dry_run: called with each planned action ("copy", "update", "delete") and path.
  std::function<void(std::string_view action, std::string_view path)> on_planned;
  VerifyMode verify = VerifyMode::kNone;
  transfer::TransferOptions transfer;
  // Archived sources (GLACIER, DEEP_ARCHIVE): unset, none is copied and one error names them;
  // set, they are restored first, then copied.
  std::optional<transfer::RestoreSettings> restore;
  std::string state_dir;           // empty: no state kept
  std::string endpoint_id;         // names the endpoint in the state ("http://127.0.0.1:9000")
  std::string source_endpoint_id;  // the source's, when it has its own store; else endpoint_id
  std::string report_path;         // empty: no report
};

struct PhaseTimes {
  double preparing = 0;
  double transferring = 0;
  double verifying = 0;
};

struct SyncResult {
  uint64_t source_entries = 0;
  uint64_t transferred = 0;
  uint64_t bytes = 0;
  uint64_t resumed_bytes = 0;    // parts of interrupted uploads reused, not sent again
  uint64_t updated = 0;          // metadata-only updates
  uint64_t skipped = 0;          // unchanged
  uint64_t special_skipped = 0;  // devices, sockets, FIFOs: never copied
  uint64_t deleted = 0;
  uint64_t extra = 0;  // at the destination only, kept (no --delete)
  uint64_t failed = 0;
  uint64_t verified = 0;
  uint64_t verify_failed = 0;
  // Stopped by an interruption (options.transfer.interrupt): the entries not decided or not
  // transferred yet are left for the next run, and nothing is deleted.
  bool interrupted = false;
  uint64_t interrupted_transfers = 0;  // transfers cut short or not started
  bool deletions_withheld = false;     // --delete skipped: something failed, or refused below
  std::string deletions_refused;       // why the deletion phase was refused (deletion_guard.h)
  PhaseTimes phases;
  std::vector<transfer::TransferError> errors;  // the first kMaxErrors
  static constexpr size_t kMaxErrors = 100;
};

// The counts and phase durations, as in `--json` output and task reports.
nlohmann::json ResultJson(const SyncResult& result);

// Fails only when the run could not start (bad source or destination, state unusable);
// per-entry failures are counted in the result. src_store serves a bucket source, dst_store a
// bucket destination; when they differ (two endpoints or two sets of credentials), objects
// stream from one to the other instead of being copied server-side.
Result<SyncResult> RunSync(ObjectStore& src_store, ObjectStore& dst_store, const SyncLocation& src,
                           const SyncLocation& dst, const SyncOptions& options,
                           transfer::Progress& progress);

}  // namespace ferry::sync
