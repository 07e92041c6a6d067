// `ferry rm s3://bucket/key [--recursive]`: delete one object or everything under a prefix,
// in batches of 1000 keys per request.
#include <cstdio>
#include <memory>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "transfer/bulk_delete.h"
#include "transfer/location.h"

namespace ferry::cli {
namespace {

struct RmOptions {
  ClientFlags client;
  std::string url;
  bool recursive = false;
  bool dry_run = false;
  bool quiet = false;
};

}  // namespace

CommandRunner AddRmCommand(CLI::App& app) {
  auto o = std::make_shared<RmOptions>();
  CLI::App* cmd = app.add_subcommand("rm", "Delete an object, or every object under a prefix");
  cmd->add_option("URL", o->url, "s3://bucket/key")->required();
  cmd->add_flag("--recursive,-r", o->recursive, "Delete every object under the prefix");
  cmd->add_flag("--dryrun,--dry-run", o->dry_run, "Show what would be deleted");
  cmd->add_flag("--quiet,-q", o->quiet, "Do not print each deleted key");
  AddClientFlags(*cmd, o->client);
  return [o] {
    auto loc = transfer::ParseLocation(o->url);
    if (!loc.ok() || !loc->is_s3) {
      return Fail("rm", Status::InvalidArgument(o->url + ": not an s3:// URL"), true);
    }
    auto store = OpenStore(o->client);
    if (!store.ok()) return Fail("rm", store.status(), /*usage=*/true);
    if (!o->recursive) {
      if (loc->key.empty()) {
        return Fail("rm", Status::InvalidArgument(o->url + ": names a bucket (use --recursive)"),
                    true);
      }
      if (o->dry_run) {
        std::printf("(dryrun) delete: %s\n", loc->ToString().c_str());
        return kExitOk;
      }
      // Deleting a missing key succeeds in S3; say so instead of pretending it was deleted.
      auto head = (*store)->HeadObject(loc->bucket, loc->key);
      if (!head.ok()) return Fail("rm", head.status());
      Status st = (*store)->DeleteObject(loc->bucket, loc->key);
      if (!st.ok()) return Fail("rm", st);
      if (!o->quiet) std::printf("delete: %s\n", loc->ToString().c_str());
      return kExitOk;
    }
    auto deleted = transfer::DeletePrefix(
        **store, loc->bucket, loc->key, o->dry_run, [&](const std::string& key, const Status& st) {
          if (!st.ok()) {
            std::fprintf(stderr, "ferry rm: s3://%s/%s: %s\n", loc->bucket.c_str(), key.c_str(),
                         Describe(st).c_str());
          } else if (!o->quiet) {
            std::printf("%sdelete: s3://%s/%s\n", o->dry_run ? "(dryrun) " : "",
                        loc->bucket.c_str(), key.c_str());
          }
        });
    if (!deleted.ok()) return Fail("rm", deleted.status());
    return kExitOk;
  };
}

}  // namespace ferry::cli
