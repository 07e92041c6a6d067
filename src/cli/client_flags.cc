#include "cli/client_flags.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

#include "core/aws_config.h"
#include "s3/http_date.h"
#include "s3client/s3_store.h"
#include "store/point_in_time_store.h"

extern char** environ;

namespace ferry::cli {

void AddClientFlags(CLI::App& cmd, ClientFlags& flags) {
  cmd.add_option("--endpoint-url", flags.endpoint_url,
                 "S3 endpoint (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's)");
  cmd.add_option("--profile", flags.profile, "AWS profile from ~/.aws/config and credentials");
  cmd.add_option("--region", flags.region, "Region to sign requests for");
  cmd.add_option("--ca-bundle", flags.ca_bundle, "PEM file of CA certificates to trust");
  cmd.add_flag("--no-verify-ssl", flags.no_verify_ssl, "Do not verify TLS certificates");
  cmd.add_flag("--no-sign-request", flags.no_sign_request,
               "Send requests unsigned (a public bucket); no credentials are looked for");
  cmd.add_flag("--path-style", flags.path_style, "Address buckets as http://host/bucket/key");
  cmd.add_flag("--virtual-style", flags.virtual_style, "Address buckets as http://bucket.host/key");
  cmd.add_option("--timeout", flags.timeout_seconds,
                 "Seconds a request may make no progress before it is retried")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd.add_option("--list-version", flags.list_version,
                 "ListObjects version: 2, or 1 for servers whose V2 paging is broken")
      ->capture_default_str()
      ->check(CLI::IsMember({1, 2}));
}

void AddVersionAtFlag(CLI::App& cmd, ClientFlags& flags) {
  cmd.add_option("--version-at", flags.version_at,
                 "Read each key as the version current at this time (2026-12-01T09:00:00Z); "
                 "needs a versioned bucket for anything but the present");
}

std::vector<std::string> ClientArgs(const ClientFlags& flags) {
  std::vector<std::string> args;
  auto add = [&](const char* name, const std::string& value) {
    if (!value.empty()) args.insert(args.end(), {name, value});
  };
  add("--endpoint-url", flags.endpoint_url);
  add("--profile", flags.profile);
  add("--region", flags.region);
  add("--ca-bundle", flags.ca_bundle);
  add("--version-at", flags.version_at);
  if (flags.no_verify_ssl) args.push_back("--no-verify-ssl");
  if (flags.no_sign_request) args.push_back("--no-sign-request");
  if (flags.path_style) args.push_back("--path-style");
  if (flags.virtual_style) args.push_back("--virtual-style");
  args.insert(args.end(), {"--timeout", std::to_string(flags.timeout_seconds), "--list-version",
                           std::to_string(flags.list_version)});
  return args;
}

void AddTransferFlags(CLI::App& cmd, TransferFlags& flags) {
  cmd.add_option("--transfers", flags.transfers, "Requests in flight (files and parts)")
      ->capture_default_str();
  cmd.add_option("--bwlimit", flags.bwlimit, "Bandwidth limit in bytes/s for all streams: 100M");
  cmd.add_option("--part-size", flags.part_size, "Multipart part size, at least 5M")
      ->capture_default_str();
  cmd.add_flag("--json", flags.json, "Print a machine-readable summary on stdout");
  cmd.add_flag("--quiet,-q", flags.quiet, "No summary line");
  cmd.add_flag("--progress", flags.progress, "Show progress even when stderr is not a terminal");
}

Result<uint64_t> ParseSize(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty size");
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  double value = 0;
  try {
    value = std::stod(std::string(text.substr(0, i)));
  } catch (const std::exception&) {
    return Status::InvalidArgument(std::string(text) + ": not a size");
  }
  std::string unit(text.substr(i));
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b') && unit.size() > 1)
    unit.pop_back();
  if (unit == "i" || unit.size() == 2) unit = unit.substr(0, 1);  // "Mi" → "M"
  double scale = 1;
  if (unit.empty() || unit == "B" || unit == "b") {
    scale = 1;
  } else {
    switch (std::toupper(static_cast<unsigned char>(unit[0]))) {
      case 'K':
        scale = 1024.0;
        break;
      case 'M':
        scale = 1024.0 * 1024;
        break;
      case 'G':
        scale = 1024.0 * 1024 * 1024;
        break;
      case 'T':
        scale = 1024.0 * 1024 * 1024 * 1024;
        break;
      default:
        return Status::InvalidArgument(std::string(text) + ": unknown size unit");
    }
  }
  return static_cast<uint64_t>(std::llround(value * scale));
}

Result<std::unique_ptr<ObjectStore>> OpenStore(const ClientFlags& flags,
                                               RateLimiter* rate_limiter) {
  AwsConfigInputs inputs;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos && kv.starts_with("AWS_")) {
      inputs.env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
  }
  if (const char* home = std::getenv("HOME")) inputs.home = home;
  inputs.profile_flag = flags.profile;
  inputs.region_flag = flags.region;
  inputs.endpoint_flag = flags.endpoint_url;
  auto config = ResolveAwsConfig(inputs);
  if (!config.ok()) return config.status();
  if (flags.no_sign_request) {
    config->access_key_id.clear();
    config->secret_access_key.clear();
    config->session_token.clear();
  } else if (config->access_key_id.empty() || config->secret_access_key.empty()) {
    // As the AWS CLI: an unsigned request would come back as a bare 403 that names nothing.
    return Status::InvalidArgument(
        "Unable to locate credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, give "
        "a --profile from ~/.aws/credentials, or --no-sign-request for a public bucket");
  }
  S3StoreOptions options = S3StoreOptionsFromAwsConfig(*config);
  if (flags.path_style) options.addressing = AddressingStyle::kPath;
  if (flags.virtual_style) options.addressing = AddressingStyle::kVirtualHosted;
  options.http.verify_tls = !flags.no_verify_ssl;
  if (!flags.ca_bundle.empty()) {
    options.http.ca_bundle = flags.ca_bundle;
  } else if (auto it = inputs.env.find("AWS_CA_BUNDLE"); it != inputs.env.end()) {
    options.http.ca_bundle = it->second;
  }
  options.http.rate_limiter = rate_limiter;
  options.http.stall_seconds = flags.timeout_seconds;
  options.list_objects_version = flags.list_version;
  std::optional<int64_t> at_ns;
  if (!flags.version_at.empty()) {
    at_ns = s3::ParseIso8601(flags.version_at);
    if (!at_ns) {
      return Status::InvalidArgument("--version-at " + flags.version_at +
                                     ": not a time like 2026-12-01T09:00:00Z");
    }
  }
  auto store = S3Store::Open(options);
  if (!store.ok()) return store.status();
  std::unique_ptr<ObjectStore> opened = std::move(store).value();
  if (at_ns) opened = std::make_unique<PointInTimeStore>(std::move(opened), *at_ns);
  return opened;
}

std::string EndpointIdOf(const ObjectStore& store) {
  return store.Info().endpoint_id;
}

StoreStats StatsOf(const ObjectStore& store) {
  const StoreInfo info = store.Info();
  return {info.requests, info.retries};
}

}  // namespace ferry::cli
