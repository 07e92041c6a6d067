// The flags every command that talks to a bucket shares, named as in the AWS CLI, and the
// store they open. Credentials, region and endpoint resolve like the AWS CLI's (env vars,
// ~/.aws files, profiles), with these flags on top.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/rate_limiter.h"
#include "ferry/object_store.h"

namespace ferry::cli {

struct ClientFlags {
  std::string endpoint_url;
  std::string profile;
  std::string region;
  std::string ca_bundle;
  bool no_verify_ssl = false;
  bool no_sign_request = false;  // anonymous requests (public buckets)
  bool path_style = false;
  bool virtual_style = false;
  int timeout_seconds = 30;  // a request making no progress this long is retried
  int list_version = 2;      // ListObjects API version; 1 for servers with broken V2 paging
  // --version-at: read every key as the version that was current then (ISO 8601, UTC); the
  // store is then read-only. Only commands that read a bucket offer it.
  std::string version_at;
};

void AddClientFlags(CLI::App& cmd, ClientFlags& flags);
void AddVersionAtFlag(CLI::App& cmd, ClientFlags& flags);
// The flags again as arguments, for a ferry process this one starts.
std::vector<std::string> ClientArgs(const ClientFlags& flags);

// Flags of commands that move data.
struct TransferFlags {
  size_t transfers = 16;
  std::string bwlimit;  // "100M", bytes per second
  std::string part_size = "16M";
  bool json = false;
  bool quiet = false;
  bool progress = false;  // force the progress line even when stderr is not a terminal
};

void AddTransferFlags(CLI::App& cmd, TransferFlags& flags);

// A store for the endpoint the flags and the AWS configuration name (seen at version_at when
// that is set). rate_limiter may be null; it must outlive the store.
Result<std::unique_ptr<ObjectStore>> OpenStore(const ClientFlags& flags,
                                               RateLimiter* rate_limiter = nullptr);

// Names the endpoint a store talks to ("http://127.0.0.1:9000", "aws:us-east-1"), for state
// kept per endpoint.
std::string EndpointIdOf(const ObjectStore& store);

// Request statistics of a store opened by OpenStore (zero for other stores).
struct StoreStats {
  uint64_t requests = 0;
  uint64_t retries = 0;
};
StoreStats StatsOf(const ObjectStore& store);

// "100M", "1.5G", "64k", "1000" → bytes (powers of 1024, as rclone's --bwlimit).
Result<uint64_t> ParseSize(std::string_view text);

}  // namespace ferry::cli
