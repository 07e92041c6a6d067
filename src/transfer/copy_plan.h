// Turning `cp SRC DST` into transfer jobs: which objects or files the source names and where
// each one goes, with the AWS CLI's naming rules (a destination ending in "/" or an existing
// directory receives the source's base name; --recursive maps the tree under the source).
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "ferry/object_store.h"
#include "transfer/engine.h"
#include "transfer/location.h"
#include "transfer/restore.h"

namespace ferry::transfer {

struct CopyPlan {
  Location src;
  Location dst;
  bool recursive = false;
  // Which paths under a recursive source are copied (relative, '/'-separated); unset: all.
  std::function<bool(std::string_view relative)> selects;
  // Called instead of submitting when set (--dry-run): "upload: a to s3://b/a".
  std::function<void(const std::string& line)> dry_run;
  // Archived sources (GLACIER, DEEP_ARCHIVE) not restored: without restore none of them is
  // copied and SubmitCopy fails naming them in one error (the rest are copied); with it their
  // restores are requested and awaited (restore_progress hears each step), then they are
  // copied.
  std::optional<RestoreSettings> restore;
  std::function<void(const std::string& line)> restore_progress;
};

// Walks the source and submits one job per object to the engine. Returns a planning error
// (missing source, a directory without --recursive, local-to-local); per-object failures go
// to the engine's summary.
Status SubmitCopy(const CopyPlan& plan, ObjectStore& store, TransferEngine& engine,
                  Progress& progress);

}  // namespace ferry::transfer
