// `ferry stat s3://bucket/key`: everything S3 knows about an object, and its POSIX attributes.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "core/checksum.h"
#include "s3/http_date.h"
#include "s3/posix_meta.h"
#include "transfer/location.h"

namespace ferry::cli {
namespace {

struct StatOptions {
  ClientFlags client;
  std::string url;
  bool json = false;
};

nlohmann::json ToJson(const std::string& bucket, const ObjectMeta& m) {
  const ObjectHeaders& h = m.headers;
  nlohmann::json j{
      {"bucket", bucket},
      {"key", m.key},
      {"size", m.size},
      {"etag", m.etag},
      {"last_modified", s3::FormatIso8601(m.last_modified_ns)},
      {"content_type", h.content_type.empty() ? "binary/octet-stream" : h.content_type},
      {"storage_class", h.storage_class.empty() ? "STANDARD" : h.storage_class},
      {"metadata", h.user_metadata}};
  if (m.parts_count > 0) j["parts"] = m.parts_count;
  if (nlohmann::json restore = RestoreJson(h); !restore.is_null()) j["restore"] = restore;
  if (!h.archive_access_tier.empty()) j["archive_status"] = h.archive_access_tier;
  for (auto [name, value] : {std::pair{"content_encoding", &h.content_encoding},
                             {"content_disposition", &h.content_disposition},
                             {"content_language", &h.content_language},
                             {"cache_control", &h.cache_control},
                             {"expires", &h.expires}}) {
    if (!value->empty()) j[name] = *value;
  }
  if (m.checksum && !m.checksum->value.empty()) {
    j["checksum"] = {{"algorithm", ChecksumAlgorithmName(m.checksum->algorithm)},
                     {"value", m.checksum->value},
                     {"type", m.checksum->composite ? "COMPOSITE" : "FULL_OBJECT"}};
  }
  auto posix = s3::DecodePosixAttributes(h.user_metadata);
  nlohmann::json p = nlohmann::json::object();
  if (posix.mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%07o", *posix.mode);
    p["mode"] = buf;
  }
  if (posix.uid) p["uid"] = *posix.uid;
  if (posix.gid) p["gid"] = *posix.gid;
  if (posix.mtime_ns) p["mtime"] = s3::FormatIso8601(*posix.mtime_ns);
  if (posix.atime_ns) p["atime"] = s3::FormatIso8601(*posix.atime_ns);
  if (!p.empty()) j["posix"] = p;
  return j;
}

void PrintText(const nlohmann::json& j, const std::string& indent = "") {
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_object()) {
      if (it.value().empty()) continue;
      std::printf("%s%s:\n", indent.c_str(), it.key().c_str());
      PrintText(it.value(), indent + "  ");
    } else {
      std::string v = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
      std::printf("%s%-20s %s\n", indent.c_str(), (it.key() + ":").c_str(), v.c_str());
    }
  }
}

}  // namespace

CommandRunner AddStatCommand(CLI::App& app) {
  auto o = std::make_shared<StatOptions>();
  CLI::App* cmd =
      app.add_subcommand("stat", "Show an object's metadata, checksums and POSIX attributes");
  cmd->add_option("URL", o->url, "s3://bucket/key")->required();
  cmd->add_flag("--json", o->json, "Print JSON");
  AddClientFlags(*cmd, o->client);
  return [o] {
    auto loc = transfer::ParseLocation(o->url);
    if (!loc.ok() || !loc->is_s3 || loc->key.empty()) {
      return Fail("stat", Status::InvalidArgument(o->url + ": expected s3://BUCKET/KEY"), true);
    }
    auto store = OpenStore(o->client);
    if (!store.ok()) return Fail("stat", store.status(), /*usage=*/true);
    auto meta = (*store)->HeadObject(loc->bucket, loc->key);
    if (!meta.ok()) return Fail("stat", meta.status());
    nlohmann::json j = ToJson(loc->bucket, *meta);
    if (o->json) {
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      PrintText(j);
    }
    return kExitOk;
  };
}

}  // namespace ferry::cli
