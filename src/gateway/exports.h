// The file servers that export the gateway's mount: Samba's smbd (SMB) and nfs-ganesha
// (NFSv4, FSAL_VFS over the mount's FUSE export support), each a child process with a
// generated configuration in its own state directory, listening where asked, stopped (and
// reaped) by its owner. The gateway starts them once its mount serves requests and stops them
// before it unmounts: they hold files open in the mount.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/child_process.h"
#include "ferry/result.h"

namespace ferry::gateway {

struct SmbExportOptions {
  std::string share;  // the share's name: letters, digits, '.', '_' and '-'
  std::string host = "127.0.0.1";
  int port = 445;
  std::string path;       // the mount point
  std::string state_dir;  // smb.conf, locks, logs
  std::string user;       // the account files are written as (guests map to it)
  std::string smbd = "/usr/sbin/smbd";
};

struct NfsExportOptions {
  std::string host = "127.0.0.1";
  int port = 2049;
  std::string path;               // the mount point
  std::string pseudo = "/share";  // the NFSv4 path clients mount
  std::string state_dir;
  std::string ganesha = "/usr/bin/ganesha.nfsd";
  // Where nfs-ganesha's VFS backend (libfsalvfs.so) is looked for.
  std::vector<std::string> fsal_dirs = {"/usr/lib/x86_64-linux-gnu/ganesha",
                                        "/usr/lib/aarch64-linux-gnu/ganesha"};
};

// A share name smbd takes as it is: InvalidArgument naming what is wrong otherwise.
Status CheckShareName(const std::string& share);

class ExportServer {
 public:
  // Starts the server and waits until it accepts connections. FailedPrecondition-like
  // NotFound naming the Debian package when the server is not installed.
  static Result<std::unique_ptr<ExportServer>> StartSmb(const SmbExportOptions& options);
  static Result<std::unique_ptr<ExportServer>> StartNfs(const NfsExportOptions& options);
  ~ExportServer();  // stops the server if still running

  const std::string& name() const { return name_; }
  const std::string& log_path() const { return log_path_; }
  // SIGTERM, then SIGKILL after grace.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  ExportServer(std::string name, ChildProcess child, std::string log_path)
      : name_(std::move(name)), child_(std::move(child)), log_path_(std::move(log_path)) {}

  std::string name_;
  ChildProcess child_;
  std::string log_path_;
  bool stopped_ = false;
};

}  // namespace ferry::gateway
