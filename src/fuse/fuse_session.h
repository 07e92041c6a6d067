// What both FUSE adapters (the read-only mount and the gateway) do with libfuse alike: make a
// low-level session with their operations and mount it, and serve it with a pool of threads.
#pragma once

#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include <fuse_lowlevel.h>

#include <string>

#include "ferry/result.h"

namespace ferry::fuse {

// A session for ops and userdata (with libfuse's SIGINT/SIGTERM/SIGHUP handlers when
// stop_on_signals), mounted at mountpoint with the -o options given. On failure nothing is
// left behind.
Result<fuse_session*> MountSession(const fuse_lowlevel_ops& ops, void* userdata,
                                   const std::string& mount_options, const std::string& mountpoint,
                                   bool stop_on_signals);

// Serves the session with up to max_threads threads until it ends.
Status ServeSession(fuse_session* session, unsigned max_threads);

}  // namespace ferry::fuse
