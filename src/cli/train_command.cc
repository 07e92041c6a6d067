// `ferry train [options] -- COMMAND [ARGS...]`: run a training command with SageMaker's data
// contract (File, Fast File and Pipe input modes), then upload its model and outputs.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <random>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/restore_flags.h"
#include "cli/sync_flags.h"
#include "core/child_process.h"
#include "train/shard.h"
#include "train/training_job.h"
#include "transfer/progress.h"

namespace ferry::cli {
namespace {

struct TrainFlags {
  ClientFlags client;
  RestoreFlags restore;
  std::string job_name;
  std::vector<std::string> channels;         // NAME=URI
  std::vector<std::string> channel_modes;    // NAME=MODE
  std::vector<std::string> manifests;        // NAME=s3://...
  std::vector<std::string> indexes;          // NAME=s3://... or a file
  std::vector<std::string> attribute_names;  // NAME=attr1,attr2
  std::string input_mode = "file";
  std::string hyperparameters_file;
  std::vector<std::string> hps;  // key=value
  std::string output;
  std::string checkpoint;
  uint64_t checkpoint_interval = 60;
  std::string ml_root;
  std::string distribution = "fully-replicated";
  std::string hosts;
  std::string current_host;
  std::optional<uint64_t> shuffle_seed;
  std::string compression = "none";
  std::string record_wrapper = "none";
  std::string output_compression = "gzip";
  uint64_t pipe_epochs = 0;
  std::string cache_dir;
  std::string cache_size = "10G";
  bool no_isatty_shortcut = false;
  bool no_hp_args = false;
  bool overwrite = false;
  bool json = false;
  std::vector<std::string> command;
};

Result<std::pair<std::string, std::string>> SplitAssignment(const std::string& text,
                                                            const char* flag) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::InvalidArgument(std::string(flag) + " " + text + ": expected NAME=VALUE");
  }
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

std::string GeneratedJobName() {
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm tm;
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04x", rd() & 0xffff);
  return std::string("ferry-train-") + stamp + "-" + suffix;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    size_t comma = text.find(',', start);
    std::string part = text.substr(start, comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The directory among candidates (relative to the binary's) that holds a file ferry ships:
// beside the binary in a build tree, under the install prefix otherwise. "" when none does.
std::string ShippedDir(const std::string& binary, std::initializer_list<const char*> candidates,
                       const char* file) {
  const auto dir = std::filesystem::path(binary).parent_path();
  for (const char* candidate : candidates) {
    std::error_code ec;
    if (std::filesystem::exists(dir / candidate / file, ec)) {
      return (dir / candidate).lexically_normal().string();
    }
  }
  return "";
}

// The Python helpers training jobs import (ferry_prefetch).
std::string PythonHelpersDir(const std::string& binary) {
  return ShippedDir(binary, {"python", "../share/ferry/python"}, "ferry_prefetch.py");
}

// The isatty shortcut preloaded into Fast File commands (src/preload).
std::string IsattyLibrary(const std::string& binary) {
  const std::string dir = ShippedDir(binary, {".", "../lib/ferry"}, "libferry_isatty.so");
  if (dir.empty()) return dir;
  return (std::filesystem::path(dir) / "libferry_isatty.so").lexically_normal().string();
}

// A copied binary without what ships beside it still trains, a little slower or without
// ferry_prefetch: said, not silent.
void WarnOfMissingHelpers(const train::TrainSpec& spec, bool no_isatty_shortcut) {
  bool fast_file = false;
  for (const auto& c : spec.channels)
    fast_file |= train::ModeOf(spec, c) == train::InputMode::kFastFile;
  if (!fast_file) return;
  const std::string dir = std::filesystem::path(spec.ferry_binary).parent_path().string();
  if (!no_isatty_shortcut && spec.preload_library.empty()) {
    std::fprintf(stderr,
                 "ferry train: warning: libferry_isatty.so is in neither %s nor %s/../lib/ferry "
                 "(installed with ferry): Fast File commands run without the isatty() shortcut\n",
                 dir.c_str(), dir.c_str());
  }
  if (spec.python_path.empty()) {
    std::fprintf(stderr,
                 "ferry train: warning: ferry_prefetch.py is in neither %s/python nor "
                 "%s/../share/ferry/python (installed with ferry): a script cannot import "
                 "ferry_prefetch\n",
                 dir.c_str(), dir.c_str());
  }
}

Result<train::TrainSpec> BuildSpec(const TrainFlags& f) {
  train::TrainSpec spec;
  spec.job_name = f.job_name.empty() ? GeneratedJobName() : f.job_name;
  FERRY_ASSIGN_OR_RETURN(spec.input_mode, train::ParseInputMode(f.input_mode));
  for (const auto& text : f.channels) {
    FERRY_ASSIGN_OR_RETURN(auto kv, SplitAssignment(text, "--channel"));
    train::ChannelSpec c;
    c.name = kv.first;
    FERRY_ASSIGN_OR_RETURN(c.source, transfer::ParseLocation(kv.second));
    if (!c.source.is_s3) {
      c.source.path = std::filesystem::absolute(c.source.path).lexically_normal().string();
    }
    spec.channels.push_back(std::move(c));
  }
  auto channel = [&](const std::string& name, const char* flag) -> Result<train::ChannelSpec*> {
    for (auto& c : spec.channels) {
      if (c.name == name) return &c;
    }
    return Status::InvalidArgument(std::string(flag) + ": unknown channel \"" + name +
                                   "\" (no --channel " + name + "=...)");
  };
  for (const auto& text : f.channel_modes) {
    FERRY_ASSIGN_OR_RETURN(auto kv, SplitAssignment(text, "--channel-mode"));
    FERRY_ASSIGN_OR_RETURN(auto* c, channel(kv.first, "--channel-mode"));
    FERRY_ASSIGN_OR_RETURN(c->mode, train::ParseInputMode(kv.second));
  }
  for (const auto& text : f.manifests) {
    FERRY_ASSIGN_OR_RETURN(auto kv, SplitAssignment(text, "--manifest"));
    FERRY_ASSIGN_OR_RETURN(auto* c, channel(kv.first, "--manifest"));
    FERRY_ASSIGN_OR_RETURN(auto at, transfer::ParseLocation(kv.second));
    c->manifest = at;
  }
  for (const auto& text : f.indexes) {
    FERRY_ASSIGN_OR_RETURN(auto kv, SplitAssignment(text, "--index"));
    FERRY_ASSIGN_OR_RETURN(auto* c, channel(kv.first, "--index"));
    FERRY_ASSIGN_OR_RETURN(auto at, transfer::ParseLocation(kv.second));
    if (!at.is_s3) at.path = std::filesystem::absolute(at.path).lexically_normal().string();
    c->index = at;
  }
  for (const auto& text : f.attribute_names) {
    FERRY_ASSIGN_OR_RETURN(auto kv, SplitAssignment(text, "--attribute-names"));
    FERRY_ASSIGN_OR_RETURN(auto* c, channel(kv.first, "--attribute-names"));
    c->attribute_names = SplitList(kv.second);
  }
  if (!f.hyperparameters_file.empty()) {
    std::ifstream in(f.hyperparameters_file);
    if (!in) return Status::NotFound(f.hyperparameters_file + ": cannot read");
    auto json = nlohmann::json::parse(in, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
      return Status::InvalidArgument(f.hyperparameters_file + ": not a JSON object");
    }
    for (auto& [k, v] : json.items())
      spec.hyperparameters[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  for (const auto& text : f.hps) {
    FERRY_ASSIGN_OR_RETURN(auto kv, SplitAssignment(text, "--hp"));
    spec.hyperparameters[kv.first] = kv.second;
  }
  if (!f.output.empty()) {
    FERRY_ASSIGN_OR_RETURN(auto at, transfer::ParseLocation(f.output));
    spec.output = at;
  }
  if (!f.checkpoint.empty()) {
    FERRY_ASSIGN_OR_RETURN(auto at, transfer::ParseLocation(f.checkpoint));
    spec.checkpoint = at;
  }
  spec.checkpoint_interval_s = f.checkpoint_interval;
  FERRY_ASSIGN_OR_RETURN(spec.restore, RestoreSettingsOf(f.restore));
  if (f.distribution == "sharded-by-key") {
    spec.distribution = train::Distribution::kShardedByKey;
  } else if (f.distribution != "fully-replicated") {
    return Status::InvalidArgument("--distribution: fully-replicated or sharded-by-key");
  }
  FERRY_ASSIGN_OR_RETURN(
      auto rank, train::ResolveRank(SplitList(f.hosts), f.current_host, CurrentEnvironment()));
  spec.rank = rank.rank;
  spec.world = rank.world;
  spec.hosts = SplitList(f.hosts);
  if (spec.hosts.empty()) {
    for (uint64_t i = 0; i < rank.world; ++i) spec.hosts.push_back("algo-" + std::to_string(i + 1));
  }
  spec.current_host = f.current_host.empty() ? spec.hosts[rank.rank] : f.current_host;
  spec.shuffle_seed = f.shuffle_seed;
  if (f.compression != "none" && f.compression != "gzip") {
    return Status::InvalidArgument("--compression: none or gzip");
  }
  spec.gzip_input = f.compression == "gzip";
  if (f.record_wrapper != "none" && f.record_wrapper != "recordio") {
    return Status::InvalidArgument("--record-wrapper: none or recordio");
  }
  spec.recordio = f.record_wrapper == "recordio";
  if (f.output_compression != "gzip" && f.output_compression != "none") {
    return Status::InvalidArgument("--output-compression: gzip or none");
  }
  spec.compress_output = f.output_compression == "gzip";
  spec.pipe_epochs = f.pipe_epochs;
  spec.cache_dir = f.cache_dir;
  spec.cache_size = f.cache_size;
  const std::string state = DefaultStateDir();
  // Each host of a job has its own tree, as each SageMaker instance has its own /opt/ml: two
  // ranks on one machine must not see each other's data.
  spec.ml_root = !f.ml_root.empty()
                     ? std::filesystem::absolute(f.ml_root).string()
                     : (state.empty() ? std::string("/tmp/ferry") : state) + "/jobs/" +
                           spec.job_name + (spec.world > 1 ? "/" + spec.current_host : "");
  spec.hyperparameter_args = !f.no_hp_args;
  spec.command_stdout_to_stderr = f.json;
  spec.overwrite = f.overwrite;
  std::error_code ec;
  spec.ferry_binary = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  spec.client_args = ClientArgs(f.client);
  spec.command = f.command;
  return spec;
}

int Run(const TrainFlags& f) {
  auto spec = BuildSpec(f);
  if (!spec.ok()) return Fail("train", spec.status(), true);
  spec->python_path = PythonHelpersDir(spec->ferry_binary);
  if (!f.no_isatty_shortcut) spec->preload_library = IsattyLibrary(spec->ferry_binary);
  WarnOfMissingHelpers(*spec, f.no_isatty_shortcut);
  train::BlockStopSignals();  // before the store starts any thread
  // A job on local directories only, with no output or checkpoints, needs no credentials.
  bool uses_s3 = spec->output.has_value() || spec->checkpoint.has_value();
  for (const auto& c : spec->channels) uses_s3 |= c.source.is_s3 || c.manifest.has_value();
  ClientFlags client = f.client;
  if (!uses_s3) client.no_sign_request = true;
  auto store = OpenStore(client);
  if (!store.ok()) return Fail("train", store.status(), /*usage=*/true);
  const auto started = std::chrono::steady_clock::now();
  const std::string job = spec->job_name;
  train::TrainingJob training(**store, *spec, [&](const std::string& phase) {
    const double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::fprintf(stderr, "ferry train %s: %s (%s)\n", job.c_str(), phase.c_str(),
                 transfer::FormatDuration(t).c_str());
  });
  // Everything that can be wrong with the arguments is found before anything starts.
  if (Status st = training.Prepare(); !st.ok()) {
    return Fail("train", st, st.code() == Status::Code::kInvalidArgument);
  }
  train::JobOutcome outcome = training.Run();
  if (f.json) {
    std::printf("%s\n", outcome.record.dump(2).c_str());
  } else {
    const nlohmann::json outputs = outcome.record.value("outputs", nlohmann::json::object());
    for (const auto& [name, where] : outputs.items()) {
      std::fprintf(stderr, "ferry train %s: %s → %s\n", job.c_str(), name.c_str(),
                   where.get<std::string>().c_str());
    }
    std::fprintf(stderr, "ferry train %s: %s%s; job record %s/job.json\n", job.c_str(),
                 outcome.status.c_str(),
                 outcome.failure_reason.empty() ? "" : (": " + outcome.failure_reason).c_str(),
                 spec->ml_root.c_str());
  }
  return outcome.exit_code;
}

}  // namespace

CommandRunner AddTrainCommand(CLI::App& app, const std::vector<std::string>* after_dashes) {
  auto f = std::make_shared<TrainFlags>();
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Run a training command with SageMaker's data contract: File, Fast File and Pipe input "
      "modes, sharding, model and output upload");
  cmd->add_option("--job-name", f->job_name, "Job name (default: ferry-train-DATE-TIME-XXXX)");
  cmd->add_option("--channel", f->channels,
                  "NAME=s3://bucket/prefix or NAME=/local/dir (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--input-mode", f->input_mode, "file, fastfile or pipe")->capture_default_str();
  cmd->add_option("--channel-mode", f->channel_modes, "NAME=file|fastfile|pipe for one channel")
      ->allow_extra_args(false);
  cmd->add_option("--manifest", f->manifests, "NAME=s3://bucket/manifest.json (a manifest file)")
      ->allow_extra_args(false);
  cmd->add_option("--index", f->indexes,
                  "NAME=s3://bucket/key or a file: the channel's listing index (`ferry index "
                  "build`), read instead of listing the prefix")
      ->allow_extra_args(false);
  cmd->add_option("--attribute-names", f->attribute_names,
                  "NAME=attr1,attr2: the manifest is an augmented manifest (JSON Lines); Pipe "
                  "mode sends these attributes of each line as RecordIO records")
      ->allow_extra_args(false);
  cmd->add_option("--hyperparameters", f->hyperparameters_file, "A JSON object of hyperparameters");
  cmd->add_option("--hp", f->hps, "key=value hyperparameter (repeatable)")->allow_extra_args(false);
  cmd->add_option("--output", f->output, "s3://bucket/prefix for <job>/output/model.tar.gz ...");
  cmd->add_option("--checkpoint", f->checkpoint,
                  "s3://bucket/prefix synced with the checkpoints directory both ways");
  cmd->add_option("--checkpoint-interval", f->checkpoint_interval,
                  "Seconds between checkpoint uploads while training (0: at the end only)")
      ->capture_default_str();
  cmd->add_option("--ml-root", f->ml_root,
                  "Where the job's /opt/ml tree is made (default ~/.cache/ferry/jobs/<job>)");
  cmd->add_option("--distribution", f->distribution, "fully-replicated or sharded-by-key")
      ->capture_default_str();
  cmd->add_option("--hosts", f->hosts, "algo-1,algo-2,... (else from torchrun or Slurm)");
  cmd->add_option("--current-host", f->current_host, "Which of --hosts this is");
  cmd->add_option("--shuffle-seed", f->shuffle_seed, "Reshuffle Pipe epochs with this seed");
  cmd->add_option("--compression", f->compression, "Pipe mode input: none or gzip")
      ->capture_default_str();
  cmd->add_option("--record-wrapper", f->record_wrapper, "Pipe mode: none or recordio")
      ->capture_default_str();
  cmd->add_option("--output-compression", f->output_compression, "gzip (tar.gz) or none")
      ->capture_default_str();
  cmd->add_option("--pipe-epochs", f->pipe_epochs, "Pipe epochs offered (0: unlimited)")
      ->capture_default_str();
  cmd->add_option("--cache-dir", f->cache_dir,
                  "Fast File mode: block caches go under DIR/CHANNEL (default: the prefix's cache, "
                  "shared with every mount of it on this machine)");
  cmd->add_option("--cache-size", f->cache_size, "Fast File mode: its size limit")
      ->capture_default_str();
  cmd->add_flag("--no-isatty-shortcut", f->no_isatty_shortcut,
                "Fast File mode: do not preload the library that answers isatty() for regular "
                "files without a round trip to the mount");
  cmd->add_flag("--no-hp-args", f->no_hp_args,
                "Do not append the hyperparameters to the command as --key value (they stay in "
                "SM_HPS, SM_HP_<KEY> and hyperparameters.json)");
  cmd->add_flag("--overwrite", f->overwrite,
                "Reuse a job name: remove what the earlier job left in its --ml-root and its "
                "outputs under --output (checkpoints stay)");
  cmd->add_flag("--json", f->json,
                "Print the job record as JSON on stdout (the command's stdout goes to stderr)");
  cmd->add_option("COMMAND", f->command, "The training command, after --");
  AddRestoreFlags(*cmd, f->restore);
  AddClientFlags(*cmd, f->client);
  return [f, after_dashes] {
    // Everything after "--" is the command's, its own flags included.
    f->command.insert(f->command.end(), after_dashes->begin(), after_dashes->end());
    return Run(*f);
  };
}

}  // namespace ferry::cli
