// `ferry mount s3://bucket/prefix MOUNTPOINT`: the bucket as a read-only directory tree,
// contents lazy-loaded into a persistent block cache.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <unordered_set>

#include "cli/background.h"
#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/index_files.h"
#include "cli/metrics_flag.h"
#include "cli/mount_paths.h"
#include "cli/output.h"
#include "cli/restore_flags.h"
#include "cli/sync_flags.h"
#include "core/duration.h"
#include "core/host_memory.h"
#include "fs/mount_metrics.h"
#include "fs/mount_session.h"
#include "fuse/fuse_mount.h"

namespace ferry::cli {
namespace {

struct MountFlags {
  ClientFlags client;
  std::string source;
  std::string mountpoint;
  std::string cache_dir;
  std::string cache_size = "10G";
  std::string block_size = "1M";
  double metadata_ttl = 60;
  bool allow_other = false;
  bool foreground = false;
  uint32_t uid = ::getuid();
  uint32_t gid = ::getgid();
  std::string file_mode = "0644";
  std::string dir_mode = "0755";
  std::string read_ahead = "64M";
  std::string kernel_read_ahead = "1M";
  std::string drop_behind = "auto";
  std::string import = "new,changed,deleted";
  std::string only_paths_file;
  std::string index;    // a listing index to start from
  std::string metrics;  // HOST:PORT
  std::string on_archived = "error";
  std::string restore_wait = "12h";
  std::string restore_tier = "standard";
  int restore_days = 1;
};

// The paths of a file with one per line.
Result<std::shared_ptr<const std::unordered_set<std::string>>> ReadPathSet(
    const std::string& file) {
  std::ifstream in(file);
  if (!in) return Status::NotFound(file + ": cannot read");
  auto paths = std::make_shared<std::unordered_set<std::string>>();
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) paths->insert(line);
  }
  return std::shared_ptr<const std::unordered_set<std::string>>(std::move(paths));
}

// Everything that can be wrong before mounting, found before mounting.
Status Mount(const MountFlags& f, const std::function<void(const Status&)>& mounted) {
  FERRY_ASSIGN_OR_RETURN(MountTarget loc, CheckMountArguments(f.source, f.mountpoint));
  const std::string& prefix = loc.prefix;
  FERRY_ASSIGN_OR_RETURN(uint64_t cache_size, ParseSize(f.cache_size));
  FERRY_ASSIGN_OR_RETURN(uint64_t block_size, ParseSize(f.block_size));
  FERRY_ASSIGN_OR_RETURN(uint64_t read_ahead, ParseSize(f.read_ahead));
  FERRY_ASSIGN_OR_RETURN(uint64_t kernel_read_ahead, ParseSize(f.kernel_read_ahead));
  uint64_t drop_behind = 0;
  if (f.drop_behind == "auto") {
    // Where fresh memory is dear, a stream recycles its pages; elsewhere the kernel keeps them
    // for the next read (README, `ferry mount`).
    drop_behind = FreeMemoryGoesBackToHost() ? uint64_t{256} << 20 : 0;
  } else {
    FERRY_ASSIGN_OR_RETURN(drop_behind, ParseSize(f.drop_behind));
  }
  if (block_size < 64 * 1024 || block_size > 64 * 1024 * 1024) {
    return Status::InvalidArgument("--block-size must be between 64K and 64M");
  }
  FERRY_ASSIGN_OR_RETURN(auto import, fs::ImportPolicy::Parse(f.import));
  FERRY_ASSIGN_OR_RETURN(auto store, OpenStore(f.client));
  // A listing, not HeadBucket: the mount needs that permission, and its error has a body that
  // names the cause (a HEAD's 403 cannot tell a wrong secret from an unknown key).
  ListObjectsRequest probe;
  probe.bucket = loc.bucket;
  probe.prefix = prefix;
  probe.delimiter = "/";
  probe.max_keys = 1;
  FERRY_RETURN_IF_ERROR(store->ListObjects(probe).status());

  fs::MountSessionOptions options;
  options.bucket = loc.bucket;
  options.prefix = prefix;
  options.cache.dir =
      f.cache_dir.empty() ? DefaultDirFor("cache", loc.bucket, prefix) : f.cache_dir;
  options.cache.capacity_bytes = cache_size;
  options.block_size = block_size;
  options.read_ahead_bytes = read_ahead;
  options.drop_behind_bytes = drop_behind;
  options.metadata_ttl_ns = static_cast<int64_t>(f.metadata_ttl * 1e9);
  options.uid = f.uid;
  options.gid = f.gid;
  options.file_mode = static_cast<uint32_t>(std::stoul(f.file_mode, nullptr, 8)) & 07777;
  options.dir_mode = static_cast<uint32_t>(std::stoul(f.dir_mode, nullptr, 8)) & 07777;
  options.import = import;
  options.archived.wait = f.on_archived == "wait";
  FERRY_ASSIGN_OR_RETURN(options.archived.wait_ns, ParseDurationNs(f.restore_wait));
  FERRY_ASSIGN_OR_RETURN(options.archived.tier, RestoreTier(f.restore_tier));
  options.archived.days = f.restore_days;
  if (!f.only_paths_file.empty()) {
    FERRY_ASSIGN_OR_RETURN(options.only_paths, ReadPathSet(f.only_paths_file));
  }
  if (!f.index.empty()) {
    FERRY_ASSIGN_OR_RETURN(options.index, OpenIndexAt(*store, f.index, /*whole=*/true));
    FERRY_RETURN_IF_ERROR(index::CheckCovers(*options.index, loc.bucket, prefix));
  }
  FERRY_ASSIGN_OR_RETURN(auto session, fs::MountSession::Open(*store, std::move(options)));
  if (!session->cache().shared_limit_note().empty()) {
    std::fprintf(stderr, "ferry mount: warning: %s\n",
                 session->cache().shared_limit_note().c_str());
  }
  FERRY_ASSIGN_OR_RETURN(auto metrics, StartMetrics(f.metrics, [s = session.get()] {
                           return fs::RenderMountMetrics(s->reader().stats(), s->cache().stats());
                         }));
  fuse::MountOptions mount_options;
  mount_options.mountpoint = f.mountpoint;
  mount_options.allow_other = f.allow_other;
  mount_options.attr_timeout_s = f.metadata_ttl;
  mount_options.kernel_read_ahead_bytes = kernel_read_ahead;
  fuse::FuseMount mount(*session, mount_options);
  FERRY_RETURN_IF_ERROR(mount.Mount());
  // `ferry cache` finds the mount by its root directory.
  std::string root = std::filesystem::absolute(f.mountpoint).lexically_normal().string();
  while (root.size() > 1 && root.ends_with('/')) root.pop_back();
  FERRY_RETURN_IF_ERROR(session->StartControl(root));
  mounted(Status::OK());
  return mount.Run();
}

}  // namespace

CommandRunner AddMountCommand(CLI::App& app) {
  auto f = std::make_shared<MountFlags>();
  CLI::App* cmd = app.add_subcommand(
      "mount", "Mount a bucket prefix read-only, contents cached on local disk as they are read");
  cmd->add_option("SOURCE", f->source, "s3://bucket[/prefix]")->required();
  cmd->add_option("MOUNTPOINT", f->mountpoint, "An empty directory")->required();
  cmd->add_option("--cache-dir", f->cache_dir,
                  "Block cache directory, shared by the mounts that name it (default "
                  "~/.cache/ferry/cache/BUCKET[-PREFIX])");
  cmd->add_option("--cache-size", f->cache_size,
                  "Hard limit of the block cache (a shared one keeps its first user's)")
      ->capture_default_str();
  cmd->add_option("--block-size", f->block_size, "Unit of fetching and caching")
      ->capture_default_str();
  cmd->add_option("--metadata-ttl", f->metadata_ttl,
                  "Seconds names and attributes are trusted before listing again")
      ->capture_default_str();
  cmd->add_option("--read-ahead", f->read_ahead,
                  "How far ahead of a sequential reader blocks are fetched (at least one block)")
      ->capture_default_str();
  cmd->add_option("--kernel-read-ahead", f->kernel_read_ahead,
                  "The kernel's read-ahead on the mount, which sizes its read requests (needs "
                  "root; 0: leave the kernel's 128K)")
      ->capture_default_str();
  cmd->add_option("--drop-behind", f->drop_behind,
                  "Pages a sequential reader left this far behind are dropped from the kernel's "
                  "page cache (they stay in the disk cache); 0 keeps them; auto: 256M on VMs that "
                  "hand free memory back to the host, else 0")
      ->capture_default_str();
  cmd->add_option("--import", f->import,
                  "Bucket changes taken in when a directory is listed again: any of "
                  "new,changed,deleted, or none (then only `ferry cache refresh`)")
      ->capture_default_str();
  cmd->add_option("--on-archived", f->on_archived,
                  "Reading an archived (GLACIER, DEEP_ARCHIVE) file starts its restore; then "
                  "error: the read fails with EAGAIN; wait: it waits until restored")
      ->check(CLI::IsMember({"error", "wait"}))
      ->capture_default_str();
  cmd->add_option("--restore-wait", f->restore_wait,
                  "With --on-archived wait: longest wait for a restore (then EAGAIN)")
      ->capture_default_str();
  cmd->add_option("--restore-tier", f->restore_tier,
                  "Tier of the restores reads start: expedited, standard, bulk")
      ->capture_default_str();
  cmd->add_option("--restore-days", f->restore_days, "Days the restored copies stay")
      ->check(CLI::Range(1, 36500))
      ->capture_default_str();
  cmd->add_option("--only-paths", f->only_paths_file,
                  "A file of paths (one per line, relative to the prefix): show only these "
                  "(a training host's shard)");
  cmd->add_option("--index", f->index,
                  "Start from this listing index (`ferry index build`): s3://bucket/key or a "
                  "file; directories are listed from the bucket after --metadata-ttl");
  cmd->add_flag("--allow-other", f->allow_other, "Let other users see the mount");
  cmd->add_flag("--foreground,-f", f->foreground, "Stay in the foreground until unmounted");
  cmd->add_option("--uid", f->uid, "Owner of files without stored metadata");
  cmd->add_option("--gid", f->gid, "Group of files without stored metadata");
  cmd->add_option("--file-mode", f->file_mode, "Mode of files without stored metadata")
      ->check(OctalMode())
      ->capture_default_str();
  cmd->add_option("--dir-mode", f->dir_mode, "Mode of directories")
      ->check(OctalMode())
      ->capture_default_str();
  cmd->add_option(
      "--metrics", f->metrics,
      "Serve Prometheus metrics (cache hits, bytes fetched) at http://HOST:PORT/metrics");
  AddClientFlags(*cmd, f->client);
  AddVersionAtFlag(*cmd, f->client);
  return [f] {
    if (!f->metrics.empty()) {
      if (auto where = ParseHostPort(f->metrics); !where.ok()) {
        return Fail("mount", where.status(), true);
      }
    }
    if (auto import = fs::ImportPolicy::Parse(f->import); !import.ok()) {
      return Fail("mount", import.status(), true);
    }
    // Paths are resolved before the mount leaves for the background (and for "/").
    for (std::string* path :
         {&f->cache_dir, &f->only_paths_file, &f->client.ca_bundle, &f->index}) {
      if (!path->empty() && !path->starts_with("s3://"))
        *path = std::filesystem::absolute(*path).lexically_normal().string();
    }
    if (!f->foreground) {
      return RunInBackground("mount", [f](const ReadyReporter& ready) { return Mount(*f, ready); });
    }
    Status st = Mount(*f, [](const Status&) {});
    if (!st.ok()) return Fail("mount", st, st.code() == Status::Code::kInvalidArgument);
    return kExitOk;
  };
}

}  // namespace ferry::cli
