// Deciding what to do with one name present in the source, the destination, or both.
// Pure functions over entries; what the entries must contain first is told by NeedsDetails.
#pragma once

#include <string>

#include "sync/entry.h"

namespace ferry::sync {

enum class CompareMode {
  kChanged,   // size + mtime (DataSync's default)
  kChecksum,  // content checksums
  kAll,       // copy everything (TransferMode ALL)
};

// Which attributes travel with the data and count as a difference.
struct Preserve {
  bool mode = true;
  bool owner = true;  // uid and gid
  bool times = true;  // mtime (and atime, best effort)
};

struct CompareOptions {
  CompareMode mode = CompareMode::kChanged;
  bool no_overwrite = false;  // never replace or modify what exists at the destination
  Preserve preserve;
};

enum class Action {
  kSkip,            // nothing to do (reason says why)
  kCopy,            // transfer data and metadata
  kUpdateMetadata,  // same data, different attributes
  kDelete,          // only at the destination (acted on only with --delete)
};

struct Decision {
  Action action = Action::kSkip;
  std::string reason;
};

// What a decision about the pair needs that a listing may not have supplied.
struct Details {
  bool src_attrs = false;  // a bucket entry's POSIX attributes (HEAD)
  bool dst_attrs = false;
  bool src_checksum = false;  // content checksums (HEAD for objects, a read for files)
  bool dst_checksum = false;
  bool any() const { return src_attrs || dst_attrs || src_checksum || dst_checksum; }
};

Details NeedsDetails(const Entry* src, const Entry* dst, const CompareOptions& options);

// src or dst may be null (present on one side only), not both.
Decision Decide(const Entry* src, const Entry* dst, const CompareOptions& options);

// Modification times equal at the precision the coarser of the two was recorded with
// (nanoseconds, milliseconds — other tools' metadata — or seconds — s3fs).
bool SameTime(int64_t a_ns, int64_t b_ns);

}  // namespace ferry::sync
