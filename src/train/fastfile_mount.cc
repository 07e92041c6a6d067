#include "train/fastfile_mount.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include "fs/control_server.h"
#include "train/job_directory.h"

namespace ferry::train {
namespace {

bool IsMountPoint(const std::string& path) {
  struct stat self, parent;
  if (::stat(path.c_str(), &self) != 0) return false;
  const std::string up = std::filesystem::path(path).parent_path().string();
  return ::stat(up.c_str(), &parent) == 0 && self.st_dev != parent.st_dev;
}

}  // namespace

FastFileMount::FastFileMount(ChildProcess child, std::string mountpoint, std::string control_socket)
    : child_(std::move(child)),
      mountpoint_(std::move(mountpoint)),
      control_socket_(std::move(control_socket)) {}

Result<std::unique_ptr<FastFileMount>> FastFileMount::Start(const TrainSpec& spec,
                                                            const ChannelSpec& channel,
                                                            const std::string& mountpoint,
                                                            const std::string& only_paths_file) {
  std::error_code ec;
  std::filesystem::create_directories(mountpoint, ec);
  if (ec) return Status::IOError(mountpoint + ": " + ec.message());
  const std::string root = std::filesystem::absolute(mountpoint).lexically_normal().string();
  // Waiting for "a mount appears here" must not be satisfied by someone else's mount.
  if (IsMountPoint(root)) {
    return Status::AlreadyExists("channel \"" + channel.name + "\": " + root +
                                 " is already mounted (by another job?)");
  }
  std::vector<std::string> argv = {
      spec.ferry_binary, "mount",        channel.source.ToString(), root, "--foreground",
      "--cache-size",    spec.cache_size};
  if (!spec.cache_dir.empty()) {
    // Without one, the mount's default: the prefix's cache, which every mount of the prefix on
    // this machine shares (other ranks, other jobs, a user's mount) within one size limit.
    argv.push_back("--cache-dir");
    argv.push_back(spec.cache_dir + "/" + channel.name);
  }
  if (channel.index) {
    argv.push_back("--index");
    argv.push_back(channel.index->ToString());
  }
  if (!only_paths_file.empty()) {
    argv.push_back("--only-paths");
    argv.push_back(only_paths_file);
  }
  if (spec.restore) {
    // --restore: an archived file's first read waits for its restore instead of failing.
    argv.insert(argv.end(), {"--on-archived", "wait", "--restore-tier", spec.restore->tier,
                             "--restore-days", std::to_string(spec.restore->days)});
  }
  argv.insert(argv.end(), spec.client_args.begin(), spec.client_args.end());
  // Its own process group: a Ctrl-C stops the job, and the job unmounts when it is done.
  ChildProcess::Options options{CurrentEnvironment(), /*own_process_group=*/true};
  // SIGTERM, not SIGKILL: the mount unmounts itself when ferry is killed.
  options.death_signal = SIGTERM;
  FERRY_ASSIGN_OR_RETURN(auto child, ChildProcess::Spawn(argv, options));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!IsMountPoint(root)) {
    if (auto st = child.Wait(std::chrono::milliseconds(50))) {
      return Status::Unavailable("channel \"" + channel.name + "\": ferry mount " +
                                 channel.source.ToString() + " ended (" + DescribeWaitStatus(*st) +
                                 ")");
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable("channel \"" + channel.name + "\": " + root +
                                 " was not mounted within 60 s");
    }
  }
  return std::unique_ptr<FastFileMount>(
      new FastFileMount(std::move(child), root, fs::ControlSocketPath(root)));
}

FastFileMount::~FastFileMount() {
  UnmountFuse(mountpoint_, false);
  if (!child_.Wait(std::chrono::seconds(10))) {
    spdlog::warn("{}: busy; unmounting lazily", mountpoint_);
    UnmountFuse(mountpoint_, true);
    child_.Stop(std::chrono::seconds(10));
  }
}

}  // namespace ferry::train
