// `ferry ls [s3://bucket[/prefix]]`: buckets, or the objects and "directories" under a prefix.
#include <cstdio>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "core/clock.h"
#include "s3/http_date.h"
#include "s3/restore.h"
#include "transfer/location.h"
#include "transfer/progress.h"

namespace ferry::cli {
namespace {

struct LsOptions {
  ClientFlags client;
  std::string url;
  bool recursive = false;
  bool human = false;
  bool summarize = false;
  bool json = false;
};

std::string LocalTime(int64_t ns) {
  std::time_t t = static_cast<std::time_t>(s3::NanosToSeconds(ns));
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// What the listing knows of an archived object's restore: "restoring", "restored until ...",
// or "" (none asked for, the server does not say, or its copy expired).
std::string RestoreState(const ObjectHeaders& h) {
  switch (s3::RestorePhaseAt(h, SystemClock().NowNanos())) {
    case s3::RestorePhase::kNone:
      return "";
    case s3::RestorePhase::kOngoing:
      return "restoring";
    case s3::RestorePhase::kRestored:
      return "restored until " + LocalTime(h.restore_expiry_ns);
  }
  return "";
}

// " [GLACIER, restoring]" after the name of an object in another class than STANDARD.
std::string ClassNote(const ObjectHeaders& h) {
  if (h.storage_class.empty() || h.storage_class == "STANDARD") return "";
  std::string restore = RestoreState(h);
  return "  [" + h.storage_class + (restore.empty() ? "" : ", " + restore) + "]";
}

int ListBuckets(ObjectStore& store, const LsOptions& o) {
  auto buckets = store.ListBuckets();
  if (!buckets.ok()) return Fail("ls", buckets.status());
  for (const auto& b : *buckets) {
    if (o.json) {
      std::printf("%s\n",
                  nlohmann::json{{"bucket", b.name}, {"created", s3::FormatIso8601(b.created_ns)}}
                      .dump()
                      .c_str());
    } else {
      std::printf("%s %s\n", LocalTime(b.created_ns).c_str(), b.name.c_str());
    }
  }
  return kExitOk;
}

}  // namespace

CommandRunner AddLsCommand(CLI::App& app) {
  auto o = std::make_shared<LsOptions>();
  CLI::App* cmd = app.add_subcommand("ls", "List buckets, or objects under s3://bucket/prefix");
  cmd->add_option("URL", o->url, "s3://bucket[/prefix]; none lists the buckets");
  cmd->add_flag("--recursive,-r", o->recursive, "List every object under the prefix");
  cmd->add_flag("--human-readable", o->human, "Sizes as KiB, MiB, ...");
  cmd->add_flag("--summarize", o->summarize, "Print the object count and total size");
  cmd->add_flag("--json", o->json, "One JSON object per line");
  AddClientFlags(*cmd, o->client);
  return [o] {
    auto store = OpenStore(o->client);
    if (!store.ok()) return Fail("ls", store.status(), /*usage=*/true);
    if (o->url.empty()) return ListBuckets(**store, *o);
    auto loc = transfer::ParseLocation(o->url);
    if (!loc.ok() || !loc->is_s3) {
      return Fail("ls", Status::InvalidArgument(o->url + ": not an s3:// URL"), true);
    }
    ListObjectsRequest req;
    req.bucket = loc->bucket;
    req.prefix = loc->key;
    if (!o->recursive) req.delimiter = "/";
    req.restore_status = true;
    uint64_t count = 0, total = 0, prefixes = 0;
    for (;;) {
      auto page = (*store)->ListObjects(req);
      if (!page.ok()) return Fail("ls", page.status());
      for (const auto& p : page->common_prefixes) {
        ++prefixes;
        if (o->json) {
          std::printf("%s\n", nlohmann::json{{"prefix", p}}.dump().c_str());
        } else {
          std::printf("%30s PRE %s\n", "", p.substr(req.prefix.rfind('/') + 1).c_str());
        }
      }
      for (const auto& obj : page->objects) {
        ++count;
        total += obj.size;
        if (o->json) {
          nlohmann::json line = {
              {"key", obj.key},
              {"size", obj.size},
              {"etag", obj.etag},
              {"last_modified", s3::FormatIso8601(obj.last_modified_ns)},
              {"storage_class",
               obj.headers.storage_class.empty() ? "STANDARD" : obj.headers.storage_class}};
          if (nlohmann::json restore = RestoreJson(obj.headers); !restore.is_null()) {
            line["restore"] = restore;
          }
          std::printf("%s\n", line.dump().c_str());
          continue;
        }
        std::string size = o->human ? transfer::FormatBytes(obj.size) : std::to_string(obj.size);
        std::string name = o->recursive ? obj.key : obj.key.substr(req.prefix.rfind('/') + 1);
        std::printf("%s %10s %s%s\n", LocalTime(obj.last_modified_ns).c_str(), size.c_str(),
                    name.c_str(), ClassNote(obj.headers).c_str());
      }
      if (!page->truncated || page->last.empty()) break;
      req.start_after = page->last;
    }
    if (o->summarize && !o->json) {
      std::printf("\nTotal Objects: %llu\n   Total Size: %s\n",
                  static_cast<unsigned long long>(count),
                  o->human ? transfer::FormatBytes(total).c_str() : std::to_string(total).c_str());
    }
    // As the AWS CLI: a prefix that names nothing exits 1 (an empty bucket is no error).
    return count == 0 && prefixes == 0 && !req.prefix.empty() ? kExitFailed : kExitOk;
  };
}

}  // namespace ferry::cli
