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
#include "cli/metrics_flag.h"
#include "cli/mount_paths.h"
#include "cli/output.h"
#include "cli/sync_flags.h"
#include "core/duration.h"
#include "fs/block_reader.h"
#include "fs/control_server.h"
#include "fuse/gateway_mount.h"
#include "gateway/event_log.h"
#include "gateway/exports.h"
#include "gateway/gateway.h"
#include "gateway/gateway_control.h"
#include "gateway/gateway_metrics.h"

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
  std::string events;
  std::string webhook;  // URL
  std::string metrics;  // HOST:PORT
};

struct ControlFlags {
  std::vector<std::string> paths;
  bool recursive = false;
  std::string state = "dirty";
  bool json = false;
  std::function<int()> run;  // the subcommand chosen
};

std::string UserName() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw ? pw->pw_name : "root";
}

Status RunGateway(const GatewayFlags& f, const ReadyReporter& ready) {
  // SIGINT, SIGTERM and SIGHUP are waited for below (every thread started from here on
  // leaves them), so that the mount keeps serving while the file servers stop.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop_signals, sig);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  FERRY_ASSIGN_OR_RETURN(MountTarget loc, CheckMountArguments(f.source, f.mountpoint));
  const std::string& prefix = loc.prefix;
  std::error_code ec;
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

  const std::string dir =
      f.cache_dir.empty() ? DefaultDirFor("gateway", loc.bucket, prefix) : f.cache_dir;
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
  std::unique_ptr<gateway::EventLog> events;
  if (!f.events.empty() || !f.webhook.empty()) {
    FERRY_ASSIGN_OR_RETURN(events,
                           gateway::EventLog::Open(f.events, f.webhook, loc.bucket, prefix));
    gw->SetEventListener([log = events.get()](const gateway::GatewayEvent& e) { log->Write(e); });
  }
  FERRY_ASSIGN_OR_RETURN(auto metrics, StartMetrics(f.metrics, [gw = gw.get(), cache = cache.get(),
                                                                &reader, cache_size] {
                           gateway::GatewayMeasures m;
                           m.gateway = gw->Stats();
                           m.cache = cache->stats();
                           m.reads = reader.stats();
                           m.cache_size = cache_size;
                           return gateway::RenderGatewayMetrics(m);
                         }));
  fuse::GatewayMountOptions mount_options;
  mount_options.mountpoint = f.mountpoint;
  mount_options.allow_other = f.allow_other;
  mount_options.stop_on_signals = false;
  fuse::GatewayMount mount(*gw, mount_options);
  FERRY_RETURN_IF_ERROR(mount.Mount());
  // `ferry gateway status|report|refresh|notify-when-uploaded` find it by its root.
  auto control = fs::ControlServer::Start(
      f.mountpoint, [gw = gw.get(), log = events.get()](const nlohmann::json& request,
                                                        const fs::ControlServer::Progress&) {
        return gateway::AnswerControlRequest(*gw, log, request);
      });
  if (!control.ok()) spdlog::warn("gateway: no control socket: {}", control.status().ToString());
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
  if (control.ok()) control->reset();
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

// Asks the gateway mounted at (or above) path.
int AskGateway(const char* what, const std::string& path, const nlohmann::json& request,
               const std::function<void(const nlohmann::json&)>& print, bool json) {
  auto mount = MountOf(path);
  if (!mount.ok()) return Fail(what, mount.status(), true);
  auto answer = fs::AskMount(mount->first, request);
  if (!answer.ok()) {
    return Fail(what, answer.status().Annotate(mount->first + " (is a gateway mounted there?)"));
  }
  if (answer->contains("error")) {
    return Fail(what, Status::InvalidArgument((*answer)["error"].get<std::string>()));
  }
  if (json) {
    std::printf("%s\n", answer->dump().c_str());
  } else {
    print(*answer);
  }
  return kExitOk;
}

std::shared_ptr<ControlFlags> AddControlCommands(CLI::App& cmd) {
  auto c = std::make_shared<ControlFlags>();
  auto* status = cmd.add_subcommand("status", "Dirty data, uploads and failures of a gateway");
  status->add_option("MOUNTPOINT", c->paths, "The gateway's mount point")->required();
  status->add_flag("--json", c->json, "Print the answer as JSON");
  status->callback([c] {
    c->run = [c]() -> int {
      const int code = AskGateway(
          "gateway status", c->paths[0], {{"op", "status"}},
          [](const nlohmann::json& a) {
            for (const auto& [name, value] : a.items()) {
              std::printf("%-20s %s\n", name.c_str(), value.dump().c_str());
            }
          },
          c->json);
      return code;
    };
  });
  auto* report = cmd.add_subcommand("report", "The files of a gateway's cache and their state");
  report->add_option("MOUNTPOINT", c->paths, "The gateway's mount point")->required();
  report->add_option("--state", c->state, "dirty, failed or all")->capture_default_str();
  report->add_flag("--json", c->json, "Print the answer as JSON");
  report->callback([c] {
    c->run = [c]() -> int {
      const int code = AskGateway(
          "gateway report", c->paths[0], {{"op", "report"}, {"state", c->state}},
          [](const nlohmann::json& a) {
            for (const auto& file : a["files"]) {
              std::printf("%-10s %12llu %s%s\n", file["state"].get<std::string>().c_str(),
                          static_cast<unsigned long long>(file["size"].get<uint64_t>()),
                          file["path"].get<std::string>().c_str(),
                          file["error"].get<std::string>().empty()
                              ? ""
                              : ("  (" + file["error"].get<std::string>() + ")").c_str());
            }
          },
          c->json);
      return code;
    };
  });
  auto* refresh = cmd.add_subcommand(
      "refresh", "List directories of a gateway from the bucket again now (RefreshCache)");
  refresh->add_option("PATH", c->paths, "Directories in the gateway's mount")->required();
  refresh->add_flag("--recursive,-r", c->recursive, "Also the directories below them");
  refresh->add_flag("--json", c->json, "Print the answer as JSON");
  refresh->callback([c] {
    c->run = [c]() -> int {
      auto mount = MountOf(c->paths[0]);
      if (!mount.ok()) return (Fail("gateway refresh", mount.status(), true));
      nlohmann::json paths = nlohmann::json::array();
      for (const std::string& p : c->paths) {
        auto m = MountOf(p);
        if (!m.ok()) return (Fail("gateway refresh", m.status(), true));
        paths.push_back(m->second);
      }
      const int code = AskGateway(
          "gateway refresh", c->paths[0],
          {{"op", "refresh"}, {"paths", paths}, {"recursive", c->recursive}},
          [](const nlohmann::json& a) {
            std::printf("refreshed: %llu names changed (notification %s)\n",
                        static_cast<unsigned long long>(a["changed"].get<uint64_t>()),
                        a["notification_id"].get<std::string>().c_str());
          },
          c->json);
      return code;
    };
  });
  auto* notify = cmd.add_subcommand(
      "notify-when-uploaded",
      "An id now, and an upload-complete event with it once everything written before is in "
      "the bucket");
  notify->add_option("MOUNTPOINT", c->paths, "The gateway's mount point")->required();
  notify->add_flag("--json", c->json, "Print the answer as JSON");
  notify->callback([c] {
    c->run = [c]() -> int {
      const int code = AskGateway(
          "gateway notify-when-uploaded", c->paths[0], {{"op", "notify-when-uploaded"}},
          [](const nlohmann::json& a) {
            std::printf("%s\n", a["notification_id"].get<std::string>().c_str());
          },
          c->json);
      return code;
    };
  });
  return c;
}

}  // namespace

CommandRunner AddGatewayCommand(CLI::App& app) {
  auto f = std::make_shared<GatewayFlags>();
  CLI::App* cmd = app.add_subcommand(
      "gateway",
      "Mount a bucket prefix as a writable file system: changes are cached locally, durable on "
      "close and fsync, and uploaded as objects once settled");
  cmd->add_option("SOURCE", f->source, "s3://bucket[/prefix]");
  cmd->add_option("MOUNTPOINT", f->mountpoint, "An empty directory");
  cmd->require_subcommand(0, 1);
  auto control = AddControlCommands(*cmd);
  cmd->add_option("--events", f->events,
                  "Append the gateway's notifications (uploads, conflicts, failures, "
                  "notify-when-uploaded, refreshes) to this file as JSON lines");
  cmd->add_option("--webhook", f->webhook,
                  "Also POST each notification, as JSON, to this http:// or https:// URL "
                  "(retried until it answers 2xx)");
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
  cmd->add_option("--metrics", f->metrics,
                  "Serve Prometheus metrics (File Gateway's measures) at http://HOST:PORT/metrics");
  cmd->add_flag("--allow-other", f->allow_other,
                "Let other users (and file servers exporting the mount) see it");
  cmd->add_flag("--foreground,-f", f->foreground, "Stay in the foreground until unmounted");
  cmd->add_option("--uid", f->uid, "Owner of files without stored metadata");
  cmd->add_option("--gid", f->gid, "Group of files without stored metadata");
  cmd->add_option("--file-mode", f->file_mode, "Mode of files without stored metadata")
      ->check(OctalMode())
      ->capture_default_str();
  cmd->add_option("--dir-mode", f->dir_mode, "Mode of directories without stored metadata")
      ->check(OctalMode())
      ->capture_default_str();
  AddClientFlags(*cmd, f->client);
  return [f, control] {
    if (control->run) return control->run();
    if (f->source.empty() || f->mountpoint.empty()) {
      return Fail("gateway", Status::InvalidArgument("SOURCE and MOUNTPOINT are required"), true);
    }
    if (f->source.find("://") == std::string::npos && f->source.find('/') == std::string::npos) {
      // A word, not a source: most likely a mistyped command.
      return Fail("gateway",
                  Status::InvalidArgument("unknown command \"" + f->source +
                                          "\"; commands: status, report, refresh, "
                                          "notify-when-uploaded (or mount SOURCE as "
                                          "s3://bucket[/prefix] on MOUNTPOINT)"),
                  true);
    }
    for (const std::string* text : {&f->settle, &f->listing_ttl, &f->drain_timeout}) {
      if (auto d = ParseDurationNs(*text); !d.ok()) return Fail("gateway", d.status(), true);
    }
    for (std::string* path : {&f->cache_dir, &f->mountpoint, &f->events, &f->client.ca_bundle}) {
      if (!path->empty()) *path = std::filesystem::absolute(*path).lexically_normal().string();
    }
    // Usage errors are found here, before the gateway leaves for the background.
    if (!f->webhook.empty() && !f->webhook.starts_with("http://") &&
        !f->webhook.starts_with("https://")) {
      return Fail("gateway",
                  Status::InvalidArgument("--webhook wants an http:// or https:// URL, got '" +
                                          f->webhook + "'"),
                  true);
    }
    if (!f->smb_share.empty()) {
      if (Status st = gateway::CheckShareName(f->smb_share); !st.ok()) {
        return Fail("gateway", st, true);
      }
    }
    if (!f->metrics.empty()) {
      if (auto where = ParseHostPort(f->metrics); !where.ok()) {
        return Fail("gateway", where.status(), true);
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
