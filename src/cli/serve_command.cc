// `ferry serve`: the embedded S3-compatible server on a local directory.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/metrics_flag.h"
#include "cli/output.h"
#include "core/duration.h"
#include "localstore/archive_mover.h"
#include "localstore/archive_tier.h"
#include "localstore/local_store.h"
#include "server/credentials.h"
#include "server/event_log.h"
#include "server/lifecycle_worker.h"
#include "server/s3_server.h"
#include "server/users.h"
#include "transfer/location.h"

namespace ferry::cli {
namespace {

struct ServeOptions {
  std::string root;
  std::string listen = "127.0.0.1:9000";
  std::string tls_cert;
  std::string tls_key;
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
  std::vector<std::string> domains = {"localhost"};
  bool allow_anonymous = false;
  bool no_sigv2 = false;
  std::string users;
  bool no_fsync = false;
  std::string port_file;
  int idle_timeout = 60;
  size_t max_connections = 2048;
  std::string metrics;               // HOST:PORT
  std::string restore_time;          // TIER=DURATION,...
  std::string lifecycle_day = "1d";  // the length of a day for Days in restores and rules
  std::string events;                // JSON lines of restores and lifecycle actions
  std::string archive;               // DIR or s3://bucket/prefix
  ClientFlags archive_client;        // the archive endpoint's, for s3://
};

// The tier --archive names, and the store behind it when it is a bucket. A directory must
// exist: an unmounted archive disk must not turn into a directory on the server's own disk.
struct ArchiveSetup {
  std::unique_ptr<ObjectStore> remote;
  std::unique_ptr<local::ArchiveTier> tier;
};
Result<ArchiveSetup> OpenArchive(const ServeOptions& o) {
  ArchiveSetup setup;
  if (o.archive.empty()) return setup;
  if (o.archive.starts_with("s3://")) {
    FERRY_ASSIGN_OR_RETURN(auto loc, transfer::ParseLocation(o.archive));
    if (loc.bucket.empty()) return Status::InvalidArgument("--archive s3://BUCKET/PREFIX");
    FERRY_ASSIGN_OR_RETURN(setup.remote, OpenStore(o.archive_client));
    FERRY_RETURN_IF_ERROR(setup.remote->HeadBucket(loc.bucket).status().Annotate("--archive"));
    std::string prefix = loc.key;
    if (!prefix.empty() && !prefix.ends_with('/')) prefix += '/';
    setup.tier = local::NewStoreArchive(*setup.remote, loc.bucket, prefix);
    return setup;
  }
  std::error_code ec;
  const std::string dir = std::filesystem::absolute(o.archive, ec).string();
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status::InvalidArgument("--archive " + o.archive +
                                   ": no such directory (mount the archive disk, or create it)");
  }
  setup.tier = local::NewDirectoryArchive(dir, !o.no_fsync);
  return setup;
}

const char* EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// SIGINT and SIGTERM end the server. They are blocked before any thread starts (threads
// inherit the mask) and collected with sigwait, so no signal handler is needed.
sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

int Serve(const ServeOptions& o) {
  sigset_t signals = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  server::S3ServerOptions options;
  auto colon = o.listen.rfind(':');
  if (colon == std::string::npos) {
    return Fail("serve", Status::InvalidArgument("--listen wants HOST:PORT, got " + o.listen),
                /*usage=*/true);
  }
  options.http.host = o.listen.substr(0, colon);
  if (options.http.host.starts_with('[')) {
    options.http.host = options.http.host.substr(1, options.http.host.size() - 2);
  }
  try {
    options.http.port = static_cast<uint16_t>(std::stoi(o.listen.substr(colon + 1)));
  } catch (const std::exception&) {
    return Fail("serve", Status::InvalidArgument("bad port in --listen " + o.listen),
                /*usage=*/true);
  }
  options.http.tls_cert_file = o.tls_cert;
  options.http.tls_key_file = o.tls_key;
  options.http.idle_timeout_seconds = o.idle_timeout;
  options.http.max_connections = o.max_connections;
  options.region = o.region;
  options.allow_anonymous = o.allow_anonymous;
  options.allow_sigv2 = !o.no_sigv2;
  options.domains = o.domains;
  {
    auto times = s3::ParseRestoreTimes(o.restore_time);
    if (!times.ok()) return Fail("serve", times.status().Annotate("--restore-time"), true);
    options.restore_times = *times;
    auto day = ParseDurationNs(o.lifecycle_day);
    if (!day.ok() || *day <= 0) {
      return Fail("serve",
                  Status::InvalidArgument("--lifecycle-day: a duration above 0, such as "
                                          "1d or 10s"),
                  true);
    }
    options.day_ns = *day;
  }

  std::error_code ec;
  if (std::filesystem::create_directories(o.root, ec)) {
    std::filesystem::permissions(o.root, std::filesystem::perms::owner_all, ec);
  }
  if (ec) {
    return Fail("serve", Status::IOError(o.root + ": " + ec.message()));
  }
  std::optional<s3::Credentials> given;
  std::string access = o.access_key.empty() ? EnvOr("FERRY_ACCESS_KEY", "") : o.access_key;
  std::string secret = o.secret_key.empty() ? EnvOr("FERRY_SECRET_KEY", "") : o.secret_key;
  if (!access.empty() || !secret.empty()) {
    if (access.empty() || secret.empty()) {
      return Fail("serve", Status::InvalidArgument("give both --access-key and --secret-key"),
                  /*usage=*/true);
    }
    given = s3::Credentials{access, secret, ""};
  }
  bool created = false;
  auto creds = server::LoadOrCreateCredentials(o.root, given, &created);
  if (!creds.ok()) {
    return Fail("serve", creds.status());
  }
  options.credentials.push_back(*creds);
  server::UserDirectory users({.id = std::string(server::kServerUserId),
                               .display_name = std::string(server::kServerUserId),
                               .access_key = creds->access_key_id,
                               .secret_key = creds->secret_access_key},
                              o.users);
  if (Status loaded = users.Load(); !loaded.ok()) {
    return Fail("serve", loaded.Annotate("--users"), true);
  }
  users.Watch(std::chrono::seconds(1));
  if (!o.users.empty()) options.users = &users;

  auto archive = OpenArchive(o);
  if (!archive.ok()) return Fail("serve", archive.status(), true);
  LocalStoreOptions store_options;
  store_options.fsync = !o.no_fsync;
  store_options.archive = archive->tier.get();
  auto store = LocalStore::Open(o.root, SystemClock(), store_options);
  if (!store.ok()) {
    return Fail("serve", store.status());
  }
  auto events = server::EventLog::Open(o.events);
  if (!events.ok()) return Fail("serve", events.status().Annotate("--events"));
  options.events = events->get();
  server::AccessRecorder accesses(**store, {.clock = options.clock, .day_ns = options.day_ns});
  options.accesses = &accesses;
  auto server = server::S3Server::Start(options, **store);
  if (!server.ok()) {
    return Fail("serve", server.status());
  }
  server::LifecycleWorker lifecycle(**store, {.clock = options.clock,
                                              .day_ns = options.day_ns,
                                              .events = events->get(),
                                              .accesses = &accesses});
  lifecycle.Start();
  std::optional<local::ArchiveMover> mover;
  if (archive->tier) {
    // Each pass scans the buckets' indexes for versions still to move: at most once a minute.
    mover.emplace(**store, std::clamp<int64_t>(options.day_ns / 24, 100'000'000,
                                               int64_t{60} * 1'000'000'000));
    mover->Start();
    spdlog::info("archive tier: {}", archive->tier->Describe());
  }
  auto metrics = StartMetrics(o.metrics, [s = server->get()] { return s->MetricsText(); });
  if (!metrics.ok()) return Fail("serve", metrics.status());
  uint16_t port = (*server)->port();
  std::string scheme = o.tls_cert.empty() ? "http" : "https";
  std::string host = options.http.host.find(':') != std::string::npos
                         ? "[" + options.http.host + "]"
                         : options.http.host;
  std::printf("# ferry serve: %s on %s://%s:%u%s\n", o.root.c_str(), scheme.c_str(), host.c_str(),
              port, created ? " (new credentials created)" : "");
  std::printf("export AWS_ENDPOINT_URL=%s://%s:%u\n", scheme.c_str(), host.c_str(), port);
  std::printf("export AWS_ACCESS_KEY_ID=%s\n", creds->access_key_id.c_str());
  if (created) {
    std::printf("export AWS_SECRET_ACCESS_KEY=%s\n", creds->secret_access_key.c_str());
    std::printf("# the keys are kept in %s/.ferry/credentials.json (mode 0600)\n", o.root.c_str());
  } else if (!given) {
    // A secret goes to the terminal (and its scroll-back, and logs) once, when it is made.
    std::printf("# the secret key is in %s/.ferry/credentials.json (mode 0600)\n", o.root.c_str());
  }
  std::printf("export AWS_REGION=%s\n", o.region.c_str());
  std::fflush(stdout);
  if (!o.port_file.empty()) {
    std::string tmp = o.port_file + ".tmp";
    std::ofstream(tmp) << port << "\n";
    std::filesystem::rename(tmp, o.port_file, ec);
  }
  spdlog::info("serving {} on {}://{}:{}", o.root, scheme, host, port);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: stopping", sig);
  metrics->reset();
  lifecycle.Stop();
  if (mover) mover->Stop();
  (*server)->Stop();
  accesses.Flush();  // the reads since the last pass
  return 0;
}

}  // namespace

CommandRunner AddServeCommand(CLI::App& app, const GlobalOptions& global) {
  (void)global;
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd =
      app.add_subcommand("serve", "Run the embedded S3-compatible server on a directory");
  cmd->add_option("--root", o->root, "Directory holding the buckets")->required();
  cmd->add_option("--listen", o->listen, "HOST:PORT to listen on (port 0 picks a free one)")
      ->capture_default_str();
  cmd->add_option("--tls-cert", o->tls_cert, "PEM certificate chain; enables HTTPS");
  cmd->add_option("--tls-key", o->tls_key, "PEM private key for --tls-cert");
  cmd->add_option("--access-key", o->access_key,
                  "Access key id to accept (default: FERRY_ACCESS_KEY or the stored one)");
  cmd->add_option("--secret-key", o->secret_key,
                  "Secret key to accept (default: FERRY_SECRET_KEY or the stored one)");
  cmd->add_option("--region", o->region, "Region the server reports")->capture_default_str();
  cmd->add_option("--domain", o->domains,
                  "Domain for virtual-hosted-style requests (BUCKET.DOMAIN); repeatable")
      ->capture_default_str();
  cmd->add_flag("--allow-anonymous", o->allow_anonymous,
                "Grant AllUsers READ on every bucket and object: anyone who reaches the port "
                "may list and read (not write) every bucket that does not ignore public ACLs");
  cmd->add_option("--users", o->users,
                  "A file of further users, one per line: ACCESS_KEY SECRET_KEY USER_ID "
                  "[DISPLAY NAME]; each owns the buckets it creates. Read again when it changes");
  cmd->add_flag("--no-sigv2", o->no_sigv2,
                "Refuse requests, presigned URLs and POST forms signed with Signature Version 2 "
                "(older clients' default); accept only SigV4");
  cmd->add_flag("--no-fsync", o->no_fsync,
                "Do not fsync acknowledged writes (throwaway data only)");
  cmd->add_option("--port-file", o->port_file, "Write the listening port to this file");
  cmd->add_option("--idle-timeout", o->idle_timeout, "Seconds before an idle connection closes")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  cmd->add_option("--max-connections", o->max_connections,
                  "Connections served at once; more are answered 503 SlowDown")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  cmd->add_option("--restore-time", o->restore_time,
                  "How long restores of archived objects take, as TIER=DURATION,... (tiers "
                  "expedited, standard, bulk, or glacier.TIER / deep_archive.TIER); default: "
                  "AWS's published times (Standard 5h for GLACIER, 12h for DEEP_ARCHIVE)");
  cmd->add_option("--lifecycle-day", o->lifecycle_day,
                  "The length of a day for the Days of restores and lifecycle rules (shorter in "
                  "tests and demos)")
      ->capture_default_str();
  cmd->add_option("--archive", o->archive,
                  "Where archived (GLACIER, DEEP_ARCHIVE) bytes go: a directory on another disk, "
                  "or s3://bucket/prefix on another endpoint (--archive-endpoint-url)");
  cmd->add_option("--archive-endpoint-url", o->archive_client.endpoint_url,
                  "Endpoint of an s3:// --archive (credentials from the AWS environment or "
                  "--archive-profile)");
  cmd->add_option("--archive-profile", o->archive_client.profile,
                  "AWS profile for an s3:// --archive");
  cmd->add_option("--events", o->events,
                  "Append restores and lifecycle actions to this file as JSON lines (they also "
                  "go to the log)");
  cmd->add_option("--metrics", o->metrics,
                  "Serve Prometheus metrics (requests, errors, bytes, latency) at "
                  "http://HOST:PORT/metrics");
  return [o] {
    if (!o->metrics.empty()) {
      if (auto where = ParseHostPort(o->metrics); !where.ok()) {
        return Fail("serve", where.status(), /*usage=*/true);
      }
    }
    if (o->tls_cert.empty() != o->tls_key.empty()) {
      return Fail("serve", Status::InvalidArgument("--tls-cert and --tls-key go together"),
                  /*usage=*/true);
    }
    return Serve(*o);
  };
}

}  // namespace ferry::cli
