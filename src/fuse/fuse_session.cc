#include "fuse/fuse_session.h"

#include <cstring>
#include <vector>

namespace ferry::fuse {

Result<fuse_session*> MountSession(const fuse_lowlevel_ops& ops, void* userdata,
                                   const std::string& mount_options, const std::string& mountpoint,
                                   bool stop_on_signals) {
  std::vector<std::string> argv_storage = {"ferry", "-o", mount_options};
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  fuse_session* session = fuse_session_new(&args, &ops, sizeof ops, userdata);
  if (!session) return Status::InvalidArgument("FUSE: cannot create a session");
  if (stop_on_signals && fuse_set_signal_handlers(session) != 0) {
    fuse_session_destroy(session);
    return Status::Internal("FUSE: cannot install signal handlers");
  }
  if (fuse_session_mount(session, mountpoint.c_str()) != 0) {
    if (stop_on_signals) fuse_remove_signal_handlers(session);
    fuse_session_destroy(session);
    return Status::IOError("cannot mount on " + mountpoint +
                           " (is /dev/fuse available and the directory empty?)");
  }
  return session;
}

Status ServeSession(fuse_session* session, unsigned max_threads) {
  fuse_loop_config* config = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(config, max_threads);
  const int rc = fuse_session_loop_mt(session, config);
  fuse_loop_cfg_destroy(config);
  if (rc < 0) return Status::IOError(std::string("FUSE session: ") + std::strerror(-rc));
  return Status::OK();
}

}  // namespace ferry::fuse
