// The errno a file-system call answers for a failed Status: every code mapped deliberately, so
// that a reader sees what a local file system would tell it in the same situation.
#pragma once

#include "ferry/status.h"

namespace ferry::fs {

// 0 for OK. PreconditionFailed is ESTALE: on the read path it means the object was replaced
// under an open file (its pinned ETag no longer matches), as NFS reports a file changed on the
// server; the file must be opened again. Failures of the store or the network after retries,
// corrupt data and bugs are EIO.
int ErrnoOf(const Status& status);

}  // namespace ferry::fs
