// `ferry index build|update|show`: the saved listing index of a prefix (src/index), which
// `ferry mount --index`, `ferry train --index` and `ferry sync --source-index` start from
// without listing the bucket.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/index_files.h"
#include "cli/output.h"
#include "index/index_builder.h"
#include "s3/http_date.h"
#include "transfer/location.h"

namespace ferry::cli {
namespace {

struct IndexFlags {
  ClientFlags client;
  std::string source;       // s3://bucket/prefix (build, update) or the index (show)
  std::string out;          // where the new index goes
  std::string index;        // update: the index to update
  std::string from_report;  // update: a sync's task report instead of a listing
  bool no_metadata = false;
  bool allow_empty = false;
  int transfers = 32;
  bool verify = false;
  bool json = false;
};

struct Prefix {
  std::string bucket;
  std::string prefix;  // "" or ending in '/'
};

Result<Prefix> ParsePrefix(const std::string& text) {
  FERRY_ASSIGN_OR_RETURN(auto loc, transfer::ParseLocation(text));
  if (!loc.is_s3) return Status::InvalidArgument(text + ": expected s3://BUCKET[/PREFIX]");
  if (!loc.key.empty() && !loc.key.ends_with('/')) loc.key += '/';
  return Prefix{loc.bucket, loc.key};
}

nlohmann::json InfoJson(const index::IndexInfo& info) {
  return {{"bucket", info.bucket},
          {"prefix", info.prefix},
          {"endpoint", info.endpoint},
          {"built_at", s3::FormatIso8601(info.built_at_ns)},
          {"objects", info.entries}};
}

void Print(const IndexFlags& f, const std::string& what, const std::string& where,
           const index::BuildResult& r, double seconds) {
  nlohmann::json j = InfoJson(r.info);
  j["index"] = where;
  j["heads"] = r.heads;
  j["reused"] = r.reused;
  j["removed"] = r.removed;
  j["vanished"] = r.vanished;
  j["seconds"] = seconds;
  if (f.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::fprintf(stderr, "ferry index: %s %s: %s of s3://%s/%s in %.1f s (%s)\n", what.c_str(),
               where.c_str(), Counted(r.info.entries, "object", "objects").c_str(),
               r.info.bucket.c_str(), r.info.prefix.c_str(), seconds,
               Counted(r.heads, "HEAD", "HEADs").c_str());
}

index::BuildOptions OptionsOf(const IndexFlags& f, const IndexOutput& out, const Prefix& at) {
  index::BuildOptions options;
  options.read_metadata = !f.no_metadata;
  options.concurrency = f.transfers;
  options.exclude_key = out.KeyIn(at.bucket);  // an index kept under its own prefix
  return options;
}

// Commits the new index and reports it.
Result<int> Finish(const IndexFlags& f, const char* what, IndexOutput& out,
                   const index::BuildResult& result,
                   std::chrono::steady_clock::time_point started) {
  FERRY_RETURN_IF_ERROR(out.Commit());
  Print(f, what, out.location(), result,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return kExitOk;
}

Result<int> Build(const IndexFlags& f) {
  FERRY_ASSIGN_OR_RETURN(Prefix at, ParsePrefix(f.source));
  FERRY_ASSIGN_OR_RETURN(auto store, OpenStore(f.client));
  FERRY_RETURN_IF_ERROR(store->HeadBucket(at.bucket).status().Annotate("s3://" + at.bucket));
  std::string out_location =
      f.out.empty() ? "s3://" + at.bucket + "/" + DefaultIndexKey(at.prefix) : f.out;
  FERRY_ASSIGN_OR_RETURN(auto out, IndexOutput::Create(*store, out_location));
  const auto started = std::chrono::steady_clock::now();
  FERRY_ASSIGN_OR_RETURN(auto result, index::BuildIndex(*store, at.bucket, at.prefix,
                                                        OptionsOf(f, *out, at), out->sink()));
  if (result.info.entries == 0 && !f.allow_empty) {
    return Status::NotFound("s3://" + at.bucket + "/" + at.prefix +
                            ": no objects to index (a mistyped prefix?); --allow-empty writes "
                            "an empty index");
  }
  return Finish(f, "wrote", *out, result, started);
}

Result<int> Update(const IndexFlags& f) {
  FERRY_ASSIGN_OR_RETURN(Prefix at, ParsePrefix(f.source));
  FERRY_ASSIGN_OR_RETURN(auto store, OpenStore(f.client));
  std::string index_location =
      f.index.empty() ? "s3://" + at.bucket + "/" + DefaultIndexKey(at.prefix) : f.index;
  FERRY_ASSIGN_OR_RETURN(auto old, OpenIndexAt(*store, index_location, /*whole=*/true));
  if (old->info().bucket != at.bucket || old->info().prefix != at.prefix) {
    return Status::InvalidArgument(index_location + " is the index of s3://" + old->info().bucket +
                                   "/" + old->info().prefix + ", not of s3://" + at.bucket + "/" +
                                   at.prefix);
  }
  std::string out_location = f.out.empty() ? index_location : f.out;
  FERRY_ASSIGN_OR_RETURN(auto out, IndexOutput::Create(*store, out_location));
  const index::BuildOptions options = OptionsOf(f, *out, at);
  const auto started = std::chrono::steady_clock::now();
  index::BuildResult result;
  if (!f.from_report.empty()) {
    std::ifstream in(f.from_report);
    if (!in) return Status::FromErrno(f.from_report, errno);
    std::stringstream text;
    text << in.rdbuf();
    FERRY_ASSIGN_OR_RETURN(
        result, index::UpdateIndexFromReport(*store, *old, text.str(), options, out->sink()));
  } else {
    FERRY_ASSIGN_OR_RETURN(result, index::UpdateIndex(*store, *old, options, out->sink()));
  }
  return Finish(f, "updated", *out, result, started);
}

Result<int> Show(const IndexFlags& f) {
  FERRY_ASSIGN_OR_RETURN(auto store, OpenStore(f.client));
  FERRY_ASSIGN_OR_RETURN(auto reader, OpenIndexAt(*store, f.source, /*whole=*/f.verify));
  nlohmann::json j = InfoJson(reader->info());
  j["index"] = f.source;
  j["blocks"] = reader->blocks().size();
  if (f.verify) {
    for (size_t i = 0; i < reader->blocks().size(); ++i) {
      FERRY_RETURN_IF_ERROR(reader->ReadBlock(i).status());
    }
    j["verified"] = true;
  }
  if (f.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string v = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
    std::printf("%-10s %s\n", (it.key() + ":").c_str(), v.c_str());
  }
  return kExitOk;
}

CommandRunner Runner(const char* name, std::shared_ptr<IndexFlags> f,
                     Result<int> (*run)(const IndexFlags&)) {
  return [name, f, run] {
    auto rc = run(*f);
    if (!rc.ok()) {
      return Fail(std::string("index ") + name, rc.status(),
                  rc.status().code() == Status::Code::kInvalidArgument);
    }
    return *rc;
  };
}

}  // namespace

CommandRunner AddIndexCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "index", "Save a prefix's listing as an index that mount, train and sync start from");
  cmd->require_subcommand(1);
  auto chosen = std::make_shared<CommandRunner>();

  auto build = std::make_shared<IndexFlags>();
  CLI::App* b = cmd->add_subcommand("build", "List a prefix and save its index");
  b->add_option("SOURCE", build->source, "s3://bucket[/prefix]")->required();
  b->add_option("--out", build->out,
                "Where the index goes: s3://bucket/key or a local file "
                "(default: PREFIX.ferry-index beside the prefix)");
  b->add_flag("--no-metadata", build->no_metadata,
              "Leave out POSIX metadata (saves a HEAD per object)");
  b->add_flag("--allow-empty", build->allow_empty, "Write an index of a prefix with no objects");
  b->add_option("--transfers", build->transfers, "HEAD requests in flight")->capture_default_str();
  b->add_flag("--json", build->json, "Print JSON");
  AddClientFlags(*b, build->client);
  b->callback([chosen, build] { *chosen = Runner("build", build, Build); });

  auto update = std::make_shared<IndexFlags>();
  CLI::App* u = cmd->add_subcommand(
      "update", "Bring an index up to date from a listing, or from a sync's task report");
  u->add_option("SOURCE", update->source, "s3://bucket[/prefix] the index describes")->required();
  u->add_option("--index", update->index, "The index to update (default: PREFIX.ferry-index)");
  u->add_option("--from-report", update->from_report,
                "A task report of `ferry sync --report` into the prefix: no listing");
  u->add_option("--out", update->out, "Where the new index goes (default: over --index)");
  u->add_flag("--no-metadata", update->no_metadata, "Leave out POSIX metadata of new objects");
  u->add_option("--transfers", update->transfers, "HEAD requests in flight")->capture_default_str();
  u->add_flag("--json", update->json, "Print JSON");
  AddClientFlags(*u, update->client);
  u->callback([chosen, update] { *chosen = Runner("update", update, Update); });

  auto show = std::make_shared<IndexFlags>();
  CLI::App* s = cmd->add_subcommand("show", "Describe an index (and check every block)");
  s->add_option("INDEX", show->source, "s3://bucket/key or a local file")->required();
  s->add_flag("--verify", show->verify, "Read and check every block");
  s->add_flag("--json", show->json, "Print JSON");
  AddClientFlags(*s, show->client);
  s->callback([chosen, show] { *chosen = Runner("show", show, Show); });

  return [chosen] { return (*chosen)(); };
}

}  // namespace ferry::cli
