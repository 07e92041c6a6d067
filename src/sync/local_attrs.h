// Applying a source entry's POSIX attributes to an existing local entry (a metadata-only
// update), per what the sync preserves.
#pragma once

#include <string>

#include "ferry/status.h"
#include "s3/posix_meta.h"
#include "sync/compare.h"
#include "sync/entry.h"

namespace ferry::sync {

Status ApplyLocalAttributes(const std::string& path, EntryKind kind,
                            const s3::PosixAttributes& attrs, const Preserve& preserve);

}  // namespace ferry::sync
