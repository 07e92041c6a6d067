// `ferry gateway s3://bucket/prefix MOUNTPOINT`: a writable file system over the prefix whose
// changes are cached locally, made durable on close and fsync, and uploaded once settled.
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "cache/block_cache.h"
#include "cli/background.h"
#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/sync_flags.h"
#include "fs/block_reader.h"
#include "fuse/gateway_mount.h"
#include "gateway/exports.h"
#include "gateway/gateway.h"
#include "transfer/location.h"

namespace ferry::cli {
namespace {

struct GatewayFlags {
  ClientFlags client;
  std::string source;
  std::string mountpoint;
  std::string cache_dir;
  std::string cache_size = "10G";
  std::string max_dirty = "80%";
  std::string settle = "5s";
  std::string listing_ttl = "60s";
  std::string drain_timeout = "60s";
  unsigned upload_threads = 4;
  bool allow_other = false;
  bool foreground = false;
  uint32_t uid = ::getuid();
  uint32_t gid = ::getgid();
  std::string file_mode = "0644";
  std::string dir_mode = "0755";
  std::string smb_share;
  int smb_port = 445;
  std::string smb_host = "127.0.0.1";
  std::string nfs;  // HOST:PORT
};

// "HOST:PORT" with an IPv4 host.
Result<std::pair<std::string, int>> ParseHostPort(const std::string& text) {
  const size_t colon = text.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      std::from_chars(text.data() + colon + 1, text.data() + text.size(), port).ec != std::errc() ||
      port <= 0 || port > 65535) {
    return Status::InvalidArgument("'" + text + "' is not HOST:PORT (such as 127.0.0.1:2049)");
  }
  return std::make_pair(text.substr(0, colon), port);
}

std::string UserName() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw ? pw->pw_name : "root";
}

// "5s", "250ms", "2m", "1h" or a number of seconds.
Result<int64_t> ParseDurationNs(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || value < 0) {
    return Status::InvalidArgument("'" + text + "' is not a duration (such as 5s or 250ms)");
  }
  const std::string unit(rest, end);
  double scale = 1e9;
  if (unit == "ms")
    scale = 1e6;
  else if (unit == "m")
    scale = 60e9;
  else if (unit == "h")
    scale = 3600e9;
  else if (!unit.empty() && unit != "s") {
    return Status::InvalidArgument("'" + text + "' is not a duration (such as 5s or 250ms)");
  }
  return static_cast<int64_t>(value * scale);
}

std::string DefaultGatewayDir(const std::string& bucket, const std::string& prefix) {
  std::string name = bucket;
  if (!prefix.empty()) {
    name += '-';
    for (char c : prefix) name += (c == '/') ? '_' : c;
    while (name.back() == '_') name.pop_back();
  }
  return DefaultStateDir() + "/gateway/" + name.substr(0, 200);
}

Status RunGateway(const GatewayFlags& f, const ReadyReporter& ready) {
  // SIGINT, SIGTERM and SIGHUP are waited for below (every thread started from here on
  // leaves them), so that the mount keeps serving while the file servers stop.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop_signals, sig);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  FERRY_ASSIGN_OR_RETURN(auto loc, transfer::ParseLocation(f.source));
  if (!loc.is_s3) return Status::InvalidArgument(f.source + ": the source must be s3://");
  std::string prefix = loc.key;
  if (!prefix.empty() && !prefix.ends_with('/')) prefix += '/';
  std::error_code ec;
  if (!std::filesystem::is_directory(f.mountpoint, ec)) {
    return Status::InvalidArgument(f.mountpoint + ": not a directory");
  }
  if (!std::filesystem::is_empty(f.mountpoint, ec)) {
    return Status::InvalidArgument(f.mountpoint + ": not empty");
  }
  FERRY_ASSIGN_OR_RETURN(uint64_t cache_size, ParseSize(f.cache_size));
  uint64_t max_dirty = 0;
  if (f.max_dirty.ends_with('%')) {
    const double percent = std::atof(f.max_dirty.c_str());
    if (percent <= 0 || percent > 100) {
      return Status::InvalidArgument("--max-dirty: a share of the cache between 1% and 100%");
    }
    max_dirty = static_cast<uint64_t>(static_cast<double>(cache_size) * percent / 100);
  } else {
    FERRY_ASSIGN_OR_RETURN(max_dirty, ParseSize(f.max_dirty));
  }
  FERRY_ASSIGN_OR_RETURN(int64_t settle, ParseDurationNs(f.settle));
  FERRY_ASSIGN_OR_RETURN(int64_t listing_ttl, ParseDurationNs(f.listing_ttl));
  FERRY_ASSIGN_OR_RETURN(int64_t drain_timeout, ParseDurationNs(f.drain_timeout));

  const std::string dir = f.cache_dir.empty() ? DefaultGatewayDir(loc.bucket, prefix) : f.cache_dir;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::FromErrno("cache directory " + dir, ec.value());
  // One gateway per cache directory: its state is not shared.
  const std::string lock_path = dir + "/gateway.lock";
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return Status::FromErrno("cache directory " + dir, errno);
  struct LockCloser {
    int fd;
    ~LockCloser() { ::close(fd); }
  } lock_closer{lock_fd};
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return Status::AlreadyExists(dir + ": another gateway uses this cache directory");
  }

  FERRY_ASSIGN_OR_RETURN(auto store, OpenStore(f.client));
  ListObjectsRequest probe;
  probe.bucket = loc.bucket;
  probe.prefix = prefix;
  probe.delimiter = "/";
  probe.max_keys = 1;
  FERRY_RETURN_IF_ERROR(store->ListObjects(probe).status());

  cache::BlockCacheOptions cache_options;
  cache_options.dir = dir + "/blocks";
  cache_options.capacity_bytes = cache_size;
  FERRY_ASSIGN_OR_RETURN(auto cache, cache::BlockCache::Open(cache_options));
  fs::BlockReader reader(*store, *cache, 1 << 20);
  gateway::GatewayOptions options;
  options.bucket = loc.bucket;
  options.prefix = prefix;
  options.state_dir = dir;
  options.settle_ns = settle;
  options.listing_ttl_ns = listing_ttl;
  options.max_dirty_bytes = max_dirty;
  options.upload_threads = f.upload_threads;
  options.uid = f.uid;
  options.gid = f.gid;
  options.file_mode = static_cast<uint32_t>(std::stoul(f.file_mode, nullptr, 8)) & 07777;
  options.dir_mode = static_cast<uint32_t>(std::stoul(f.dir_mode, nullptr, 8)) & 07777;
  FERRY_ASSIGN_OR_RETURN(auto gw, gateway::Gateway::Open(*store, reader, options));
  fuse::GatewayMountOptions mount_options;
  mount_options.mountpoint = f.mountpoint;
  mount_options.allow_other = f.allow_other;
  mount_options.stop_on_signals = false;
  fuse::GatewayMount mount(*gw, mount_options);
  FERRY_RETURN_IF_ERROR(mount.Mount());
  std::atomic<bool> served{false};
  std::thread server([&mount, &served] {
    Status st = mount.Run();
    if (!st.ok()) spdlog::error("gateway: {}", st.ToString());
    served = true;
  });
  // The file servers start once the mount answers: they open it at start.
  std::vector<std::unique_ptr<gateway::ExportServer>> exports;
  auto start_exports = [&]() -> Status {
    if (!f.smb_share.empty()) {
      gateway::SmbExportOptions smb;
      smb.share = f.smb_share;
      smb.host = f.smb_host;
      smb.port = f.smb_port;
      smb.path = f.mountpoint;
      smb.state_dir = dir + "/smbd";
      smb.user = UserName();
      FERRY_ASSIGN_OR_RETURN(auto server, gateway::ExportServer::StartSmb(smb));
      exports.push_back(std::move(server));
    }
    if (!f.nfs.empty()) {
      FERRY_ASSIGN_OR_RETURN(auto where, ParseHostPort(f.nfs));
      gateway::NfsExportOptions nfs;
      nfs.host = where.first;
      nfs.port = where.second;
      nfs.path = f.mountpoint;
      nfs.state_dir = dir + "/ganesha";
      FERRY_ASSIGN_OR_RETURN(auto server, gateway::ExportServer::StartNfs(nfs));
      exports.push_back(std::move(server));
    }
    return Status::OK();
  };
  Status exported = start_exports();
  if (exported.ok()) {
    ready(Status::OK());
    // Until unmounted from outside (fusermount3 -u) or a stop signal.
    const timespec tick{0, 200'000'000};
    while (!served) {
      const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
      if (sig > 0) {
        spdlog::info("gateway: stopping on signal {}", sig);
        break;
      }
    }
  }
  // The file servers close their files in the mount while it is still served; then it goes.
  for (auto& e : exports) e->Stop(std::chrono::seconds(3));
  exports.clear();
  if (!served) mount.Unmount();
  server.join();
  // What is still pending goes up now, for as long as the drain timeout allows; the rest
  // stays journaled in the cache directory for the next start.
  Status synced = gw->SyncAll();
  if (!synced.ok()) spdlog::error("gateway: {}", synced.ToString());
  Status drained = gw->Drain(drain_timeout);
  if (!drained.ok()) spdlog::warn("gateway: {}", drained.ToString());
  return exported;
}

}  // namespace

CommandRunner AddGatewayCommand(CLI::App& app) {
  auto f = std::make_shared<GatewayFlags>();
  CLI::App* cmd = app.add_subcommand(
      "gateway",
      "Mount a bucket prefix as a writable file system: changes are cached locally, durable on "
      "close and fsync, and uploaded as objects once settled");
  cmd->add_option("SOURCE", f->source, "s3://bucket[/prefix]")->required();
  cmd->add_option("MOUNTPOINT", f->mountpoint, "An empty directory")->required();
  cmd->add_option("--cache-dir", f->cache_dir,
                  "Where the gateway keeps its state, written data and read cache (default "
                  "~/.cache/ferry/gateway/BUCKET[-PREFIX])");
  cmd->add_option("--cache-size", f->cache_size, "Limit of the read cache")->capture_default_str();
  cmd->add_option("--max-dirty", f->max_dirty,
                  "Data not yet uploaded beyond which writers wait (a size or a share of "
                  "--cache-size)")
      ->capture_default_str();
  cmd->add_option("--settle", f->settle,
                  "How long a file must be left unchanged before it is uploaded")
      ->capture_default_str();
  cmd->add_option("--listing-ttl", f->listing_ttl,
                  "How long a directory's listing is trusted before the bucket is listed again")
      ->capture_default_str();
  cmd->add_option("--drain-timeout", f->drain_timeout,
                  "On unmount, how long to keep uploading what is pending (the rest stays "
                  "journaled for the next start)")
      ->capture_default_str();
  cmd->add_option("--upload-threads", f->upload_threads, "Files uploaded at once")
      ->capture_default_str();
  cmd->add_option("--smb", f->smb_share,
                  "Export the mount over SMB with Samba's smbd, as this share name (guest access)");
  cmd->add_option("--smb-port", f->smb_port, "Port of the SMB export")->capture_default_str();
  cmd->add_option("--smb-host", f->smb_host, "Address the SMB export listens on")
      ->capture_default_str();
  cmd->add_option("--nfs", f->nfs,
                  "Export the mount over NFSv4 with nfs-ganesha, listening on HOST:PORT (the "
                  "path clients mount is /share)");
  cmd->add_flag("--allow-other", f->allow_other,
                "Let other users (and file servers exporting the mount) see it");
  cmd->add_flag("--foreground,-f", f->foreground, "Stay in the foreground until unmounted");
  cmd->add_option("--uid", f->uid, "Owner of files without stored metadata");
  cmd->add_option("--gid", f->gid, "Group of files without stored metadata");
  cmd->add_option("--file-mode", f->file_mode, "Mode of files without stored metadata")
      ->capture_default_str();
  cmd->add_option("--dir-mode", f->dir_mode, "Mode of directories without stored metadata")
      ->capture_default_str();
  AddClientFlags(*cmd, f->client);
  return [f] {
    for (const std::string* text : {&f->settle, &f->listing_ttl, &f->drain_timeout}) {
      if (auto d = ParseDurationNs(*text); !d.ok()) return Fail("gateway", d.status(), true);
    }
    for (std::string* path : {&f->cache_dir, &f->mountpoint, &f->client.ca_bundle}) {
      if (!path->empty()) *path = std::filesystem::absolute(*path).lexically_normal().string();
    }
    // Usage errors are found here, before the gateway leaves for the background.
    if (!f->smb_share.empty()) {
      if (Status st = gateway::CheckShareName(f->smb_share); !st.ok()) {
        return Fail("gateway", st, true);
      }
    }
    if (!f->nfs.empty()) {
      if (auto where = ParseHostPort(f->nfs); !where.ok()) {
        return Fail("gateway", where.status(), true);
      }
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(f->mountpoint, ec)) {
      return Fail("gateway", Status::InvalidArgument(f->mountpoint + ": not a directory"), true);
    }
    if (!f->foreground) {
      return RunInBackground("gateway",
                             [f](const ReadyReporter& ready) { return RunGateway(*f, ready); });
    }
    Status st = RunGateway(*f, [](const Status&) {});
    if (!st.ok()) return Fail("gateway", st, st.code() == Status::Code::kInvalidArgument);
    return kExitOk;
  };
}

}  // namespace ferry::cli
