#include "sync/syncer.h"

namespace ferry::sync {

nlohmann::json ResultJson(const SyncResult& r) {
  return {
      {"source_entries", r.source_entries},
      {"transferred", r.transferred},
      {"bytes", r.bytes},
      {"resumed_bytes", r.resumed_bytes},
      {"updated", r.updated},
      {"skipped", r.skipped},
      {"special_skipped", r.special_skipped},
      {"deleted", r.deleted},
      {"extra_kept", r.extra},
      {"failed", r.failed},
      {"verified", r.verified},
      {"verify_failed", r.verify_failed},
      {"interrupted", r.interrupted},
      {"interrupted_transfers", r.interrupted_transfers},
      {"deletions_withheld", r.deletions_withheld},
      {"deletions_refused", r.deletions_refused},
      {"phases",
       {{"preparing_seconds", r.phases.preparing},
        {"transferring_seconds", r.phases.transferring},
        {"verifying_seconds", r.phases.verifying}}},
  };
}

}  // namespace ferry::sync
