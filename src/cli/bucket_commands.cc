// `ferry mb s3://bucket` and `ferry rb s3://bucket [--force]`.
#include <cstdio>
#include <memory>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "transfer/bulk_delete.h"
#include "transfer/location.h"

namespace ferry::cli {

namespace {

struct BucketOptions {
  ClientFlags client;
  std::string url;
  bool force = false;
};

Result<std::string> BucketOf(const std::string& url) {
  auto loc = transfer::ParseLocation(url);
  if (!loc.ok() || !loc->is_s3 || !loc->key.empty()) {
    return Status::InvalidArgument(url + ": expected s3://BUCKET");
  }
  return loc->bucket;
}

}  // namespace

CommandRunner AddMbCommand(CLI::App& app) {
  auto o = std::make_shared<BucketOptions>();
  CLI::App* cmd = app.add_subcommand("mb", "Make a bucket");
  cmd->add_option("URL", o->url, "s3://bucket")->required();
  AddClientFlags(*cmd, o->client);
  return [o] {
    auto bucket = BucketOf(o->url);
    if (!bucket.ok()) return Fail("mb", bucket.status(), true);
    auto store = OpenStore(o->client);
    if (!store.ok()) return Fail("mb", store.status(), /*usage=*/true);
    Status st = (*store)->CreateBucket(*bucket);
    if (!st.ok()) return Fail("mb", st);
    std::printf("make_bucket: %s\n", bucket->c_str());
    return kExitOk;
  };
}

CommandRunner AddRbCommand(CLI::App& app) {
  auto o = std::make_shared<BucketOptions>();
  CLI::App* cmd = app.add_subcommand("rb", "Remove a bucket");
  cmd->add_option("URL", o->url, "s3://bucket")->required();
  cmd->add_flag("--force", o->force, "Delete every object in the bucket first");
  AddClientFlags(*cmd, o->client);
  return [o] {
    auto bucket = BucketOf(o->url);
    if (!bucket.ok()) return Fail("rb", bucket.status(), true);
    auto store = OpenStore(o->client);
    if (!store.ok()) return Fail("rb", store.status(), /*usage=*/true);
    if (o->force) {
      auto deleted = transfer::DeletePrefix(**store, *bucket, "", false,
                                            [](const std::string&, const Status&) {});
      if (!deleted.ok()) return Fail("rb", deleted.status());
    }
    Status st = (*store)->DeleteBucket(*bucket);
    if (!st.ok()) return Fail("rb", st);
    std::printf("remove_bucket: %s\n", bucket->c_str());
    return kExitOk;
  };
}

}  // namespace ferry::cli
