#include "train/training_job.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "core/child_process.h"
#include "sync/syncer.h"
#include "train/container_config.h"
#include "train/fastfile_mount.h"
#include "train/pipe_channel.h"
#include "train/stderr_tail.h"
#include "train/tarball.h"
#include "transfer/archived_sources.h"
#include "transfer/bulk_delete.h"
#include "transfer/engine.h"
#include "transfer/walk.h"

namespace ferry::train {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kStopGrace = std::chrono::seconds(10);
constexpr size_t kFailureReasonBytes = 1024;

std::string ReadPrefix(const std::string& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string text(limit, '\0');
  in.read(text.data(), static_cast<std::streamsize>(limit));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

bool IsEmptyDirectory(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::is_empty(dir, ec) || ec;
}

}  // namespace

// The phases of the job with their durations, reported as they change.
struct TrainingJob::Phases {
  explicit Phases(const std::function<void(const std::string&)>& line) : line_(line) {}
  void Enter(const std::string& name) {
    Close();
    current_ = name;
    started_ = Clock::now();
    line_(name);
  }
  void Close() {
    if (current_.empty()) return;
    const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    record_.push_back({{"phase", current_}, {"seconds", seconds}});
    current_.clear();
  }
  nlohmann::json record() {
    Close();
    return record_;
  }

 private:
  const std::function<void(const std::string&)>& line_;
  std::string current_;
  Clock::time_point started_;
  nlohmann::json record_ = nlohmann::json::array();
};

void BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop_signals, sig);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
}

TrainingJob::TrainingJob(ObjectStore& store, TrainSpec spec,
                         std::function<void(const std::string&)> status_line)
    : store_(store), spec_(std::move(spec)), status_line_(std::move(status_line)) {}

Status TrainingJob::ReadyArchived(const ChannelSpec& channel, const ChannelObjects& objects) {
  transfer::ArchivedSources archived(
      {.restore = spec_.restore, .progress = status_line_, .interrupted = nullptr});
  for (const auto& o : objects.objects) {
    if (o.maybe_archived) archived.Add(o.key, [] {});
  }
  Status st = archived.Resolve(store_, objects.bucket, objects.prefix);
  if (!st.ok()) return st.Annotate("channel \"" + channel.name + "\"");
  return Status::OK();
}

Status TrainingJob::Prepare() {
  FERRY_RETURN_IF_ERROR(Validate(spec_));
  channel_objects_.clear();
  for (const auto& c : spec_.channels) {
    if (!c.source.is_s3) {
      struct stat st;
      if (::stat(c.source.path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return Status::NotFound("channel \"" + c.name + "\": " + c.source.path +
                                " is not a directory");
      }
      channel_objects_.emplace_back();
      continue;
    }
    if (ModeOf(spec_, c) == InputMode::kFastFile &&
        spec_.distribution != Distribution::kShardedByKey) {
      // The mount lists lazily; only the prefix's existence is checked now.
      ListObjectsRequest req;
      req.bucket = c.source.bucket;
      req.prefix = c.source.key;
      req.max_keys = 1;
      FERRY_ASSIGN_OR_RETURN(auto page, store_.ListObjects(req));
      if (page.objects.empty() && page.common_prefixes.empty()) {
        return Status::NotFound("channel \"" + c.name + "\": no objects under " +
                                c.source.ToString());
      }
      channel_objects_.emplace_back();
      continue;
    }
    FERRY_ASSIGN_OR_RETURN(auto objects, ListChannel(store_, spec_, c));
    FERRY_RETURN_IF_ERROR(ReadyArchived(c, objects));
    channel_objects_.emplace_back(std::move(objects));
  }
  if (spec_.output && !spec_.overwrite) {
    const OutputKeys keys = OutputKeysOf(spec_);
    FERRY_ASSIGN_OR_RETURN(bool used, HasEarlierOutputs(keys));
    if (used) {
      return Status::AlreadyExists("job \"" + spec_.job_name + "\" already has outputs in s3://" +
                                   keys.bucket + "/" +
                                   keys.record.substr(0, keys.record.rfind('/') + 1) +
                                   ": give a new --job-name, or --overwrite to replace them");
    }
  }
  // Last: the tree is claimed only when nothing else stands in the way.
  FERRY_ASSIGN_OR_RETURN(job_directory_, JobDirectory::Claim(spec_.ml_root, spec_.overwrite));
  return Status::OK();
}

Result<bool> TrainingJob::HasEarlierOutputs(const OutputKeys& keys) {
  auto record = store_.HeadObject(keys.bucket, keys.record);
  if (record.ok()) return true;
  if (record.status().code() != Status::Code::kNotFound) return record.status();
  ListObjectsRequest req;
  req.bucket = keys.bucket;
  req.prefix = keys.outputs;
  req.max_keys = 1;
  auto page = store_.ListObjects(req);
  if (!page.ok()) {
    if (page.status().code() == Status::Code::kNotFound) return false;  // no bucket yet
    return page.status();
  }
  return !page->objects.empty();
}

Status TrainingJob::RemoveEarlierOutputs() {
  if (!spec_.output) return Status::OK();
  const OutputKeys keys = OutputKeysOf(spec_);
  // NotFound: no bucket yet, nothing to remove.
  Status st = store_.DeleteObject(keys.bucket, keys.record);
  if (!st.ok() && st.code() != Status::Code::kNotFound) return st;
  auto deleted = transfer::DeletePrefix(store_, keys.bucket, keys.outputs, /*dry_run=*/false,
                                        [](const std::string&, const Status&) {});
  if (!deleted.ok() && deleted.status().code() != Status::Code::kNotFound) {
    return deleted.status();
  }
  return Status::OK();
}

Status TrainingJob::Download(const ChannelObjects& objects, const std::string& dir,
                             bool from_index) {
  transfer::Progress progress;
  transfer::TransferOptions options;
  transfer::TransferEngine engine(store_, options, progress);
  for (const auto& o : objects.objects) {
    if (transfer::EscapesRoot(o.relative)) {
      engine.RecordError("s3://" + objects.bucket + "/" + o.key,
                         Status::InvalidArgument("the key would leave the channel directory"));
      continue;
    }
    transfer::DownloadJob job;
    job.bucket = objects.bucket;
    job.key = o.key;
    job.path = dir + "/" + o.relative;
    if (o.size || !o.etag.empty()) job.size = o.size;
    engine.Download(std::move(job));
  }
  auto summary = engine.Finish();
  // An index lists objects deleted since it was built: those are left out, and said so.
  if (from_index && summary.failed > 0 && summary.failed <= summary.errors.size() &&
      std::all_of(summary.errors.begin(), summary.errors.end(),
                  [](const transfer::TransferError& e) { return e.status.IsNotFound(); })) {
    std::fprintf(stderr,
                 "ferry train: warning: %llu objects of the index are gone from the bucket "
                 "(first: %s); they are left out. `ferry index update` brings the index up "
                 "to date\n",
                 static_cast<unsigned long long>(summary.failed),
                 summary.errors.front().what.c_str());
    return Status::OK();
  }
  if (summary.failed > 0) {
    const auto& e = summary.errors.front();
    return Status(e.status.code(), e.what + ": " + e.status.message() + " (" +
                                       std::to_string(summary.failed) + " failed)");
  }
  return Status::OK();
}

Status TrainingJob::UploadFile(const std::string& path, const std::string& bucket,
                               const std::string& key) {
  transfer::Progress progress;
  transfer::TransferOptions options;
  options.preserve_posix = false;
  transfer::TransferEngine engine(store_, options, progress);
  engine.Upload({path, bucket, key, false, nullptr});
  auto summary = engine.Finish();
  if (summary.failed > 0) return summary.errors.front().status;
  return Status::OK();
}

Status TrainingJob::SyncCheckpoints(bool restore) {
  if (!spec_.checkpoint) return Status::OK();
  sync::SyncLocation s3;
  s3.is_s3 = true;
  s3.bucket = spec_.checkpoint->bucket;
  s3.prefix = spec_.checkpoint->key;
  if (!s3.prefix.empty() && !s3.prefix.ends_with('/')) s3.prefix += '/';
  sync::SyncLocation local;
  local.root = MlTree(spec_.ml_root).checkpoints;
  sync::SyncOptions options;
  transfer::Progress progress;
  FERRY_ASSIGN_OR_RETURN(auto result,
                         restore ? sync::RunSync(store_, store_, s3, local, options, progress)
                                 : sync::RunSync(store_, store_, local, s3, options, progress));
  if (result.failed > 0) {
    return Status::IOError("checkpoints: " + std::to_string(result.failed) + " files failed" +
                           (result.errors.empty() ? "" : ": " + result.errors.front().what));
  }
  return Status::OK();
}

Status TrainingJob::UploadOutputs(bool succeeded, const std::string& failure_reason,
                                  nlohmann::json* record) {
  if (!spec_.output) return Status::OK();
  const MlTree tree(spec_.ml_root);
  const OutputKeys keys = OutputKeysOf(spec_);
  const std::string& bucket = keys.bucket;
  const std::string& prefix = keys.outputs;
  auto upload_tree = [&](const std::string& dir, const std::string& name) -> Status {
    if (spec_.compress_output) {
      const std::string archive = tree.root + "/" + name + ".tar.gz";
      FERRY_RETURN_IF_ERROR(WriteTarGz(dir, archive));
      FERRY_RETURN_IF_ERROR(UploadFile(archive, bucket, prefix + name + ".tar.gz"));
      ::unlink(archive.c_str());
      (*record)["outputs"][name] = "s3://" + bucket + "/" + prefix + name + ".tar.gz";
      return Status::OK();
    }
    sync::SyncLocation local;
    local.root = dir;
    sync::SyncLocation s3;
    s3.is_s3 = true;
    s3.bucket = bucket;
    s3.prefix = prefix + name + "/";
    transfer::Progress progress;
    FERRY_ASSIGN_OR_RETURN(auto result,
                           sync::RunSync(store_, store_, local, s3, sync::SyncOptions{}, progress));
    if (result.failed > 0) return Status::IOError(name + ": upload failed");
    (*record)["outputs"][name] = "s3://" + bucket + "/" + s3.prefix;
    return Status::OK();
  };
  if (succeeded) FERRY_RETURN_IF_ERROR(upload_tree(tree.model, "model"));
  if (succeeded || !IsEmptyDirectory(tree.output_data)) {
    FERRY_RETURN_IF_ERROR(upload_tree(tree.output_data, "output"));
  }
  if (!succeeded) {
    const std::string path = tree.root + "/failure-reason";
    {
      std::ofstream out(path, std::ios::trunc);
      out << failure_reason;
    }
    FERRY_RETURN_IF_ERROR(UploadFile(path, bucket, prefix + "failure"));
    (*record)["outputs"]["failure"] = "s3://" + bucket + "/" + prefix + "failure";
  }
  return Status::OK();
}

std::string TrainingJob::CommandFailureReason(int wait_status,
                                              const std::string& stderr_tail) const {
  std::string reason = ReadPrefix(MlTree(spec_.ml_root).failure, kFailureReasonBytes);
  if (!reason.empty()) return reason;
  reason = "AlgorithmError: the command ended with " + DescribeWaitStatus(wait_status);
  if (!stderr_tail.empty()) reason += "; the end of its stderr:\n" + stderr_tail;
  return reason;
}

JobOutcome TrainingJob::Run() {
  JobOutcome outcome;
  Phases phases(status_line_);
  const MlTree tree(spec_.ml_root);
  nlohmann::json record = {{"job_name", spec_.job_name},
                           {"ml_root", tree.root},
                           {"input_mode", InputModeName(spec_.input_mode)},
                           {"current_host", spec_.current_host},
                           {"hosts", spec_.hosts},
                           {"rank", spec_.rank},
                           {"world", spec_.world},
                           {"command", spec_.command}};
  // Stop requests are waited for here, not handled asynchronously (BlockStopSignals).
  sigset_t stop_signals, previous;
  sigemptyset(&stop_signals);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop_signals, sig);
  pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);
  auto stop_requested = [&]() -> int {
    timespec zero{0, 0};
    int sig = sigtimedwait(&stop_signals, nullptr, &zero);
    return sig > 0 ? sig : 0;
  };

  auto fail = [&](const std::string& reason, int code) {
    outcome.exit_code = code;
    outcome.status = "Failed";
    outcome.failure_reason = reason;
  };
  std::vector<std::unique_ptr<FastFileMount>> mounts;
  std::vector<std::unique_ptr<PipeChannel>> pipes;
  int stop_signal = 0;
  std::optional<int> wait_status;
  std::string stderr_tail;

  phases.Enter("Starting");
  Status st = spec_.overwrite ? RemoveEarlierOutputs() : Status::OK();
  if (st.ok()) st = MakeTree(tree, spec_);
  if (st.ok()) st = WriteConfigFiles(tree, spec_);
  if (st.ok()) st = SyncCheckpoints(/*restore=*/true);
  nlohmann::json channels = nlohmann::json::object();
  std::map<std::string, std::string> extra_env;
  if (st.ok()) {
    phases.Enter("Downloading");
    for (size_t i = 0; i < spec_.channels.size() && st.ok(); ++i) {
      const auto& c = spec_.channels[i];
      const InputMode mode = ModeOf(spec_, c);
      const std::string dir = tree.ChannelDir(c.name);
      nlohmann::json& ch = channels[c.name];
      ch["mode"] = InputModeName(mode);
      ch["source"] = c.source.ToString();
      if (!c.source.is_s3) {
        // An existing file system (NFS, FSx, EFS): linked in, read as it is.
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
        std::filesystem::create_directory_symlink(c.source.path, dir, ec);
        if (ec) st = Status::IOError(dir + ": " + ec.message());
      } else if (mode == InputMode::kFile) {
        const auto& objects = *channel_objects_[i];
        ch["objects"] = objects.objects.size();
        ch["bytes"] = objects.bytes;
        st = Download(objects, dir, /*from_index=*/c.index.has_value());
      } else if (mode == InputMode::kFastFile) {
        // A sharded channel's mount shows only this host's objects.
        std::string shard_file;
        if (channel_objects_[i]) {
          shard_file = tree.root + "/shard-" + c.name + ".txt";
          std::ofstream out(shard_file, std::ios::trunc);
          for (const auto& o : channel_objects_[i]->objects) out << o.relative << "\n";
          ch["objects"] = channel_objects_[i]->objects.size();
        }
        auto mount = FastFileMount::Start(spec_, c, dir, shard_file);
        if (!mount.ok()) {
          st = mount.status();
        } else {
          extra_env["FERRY_PREFETCH_SOCKET_" + c.name] = (*mount)->control_socket();
          extra_env["FERRY_PREFETCH_SOCKET"] = (*mount)->control_socket();
          ch["control_socket"] = (*mount)->control_socket();
          mounts.push_back(std::move(mount).value());
        }
      } else {
        const auto& objects = *channel_objects_[i];
        ch["objects"] = objects.objects.size();
        ch["bytes"] = objects.bytes;
        PipeOptions po;
        po.gzip = spec_.gzip_input;
        po.recordio = spec_.recordio;
        po.shuffle_seed = spec_.shuffle_seed;
        po.max_epochs = spec_.pipe_epochs;
        pipes.push_back(std::make_unique<PipeChannel>(store_, objects, dir, po));
        st = pipes.back()->Start();
      }
      if (int sig = stop_requested()) {
        stop_signal = sig;
        break;
      }
    }
  }
  if (!st.ok()) {
    fail(st.ToString(), 1);
  } else if (!stop_signal) {
    phases.Enter("Training");
    auto env = CurrentEnvironment();
    for (auto& [k, v] : TrainingEnvironment(tree, spec_, std::thread::hardware_concurrency(), 0)) {
      env[k] = v;
    }
    for (auto& [k, v] : extra_env) env[k] = v;
    if (!spec_.python_path.empty()) {
      auto& path = env["PYTHONPATH"];
      path = path.empty() ? spec_.python_path : spec_.python_path + ":" + path;
    }
    if (!mounts.empty() && !spec_.preload_library.empty()) {
      auto& preload = env["LD_PRELOAD"];
      preload = preload.empty() ? spec_.preload_library : spec_.preload_library + ":" + preload;
    }
    std::vector<std::string> command = spec_.command;
    if (spec_.hyperparameter_args) {
      for (auto& arg : HyperparameterArgs(spec_)) command.push_back(std::move(arg));
    }
    ChildProcess::Options options{env};
    // Killed with ferry, even by kill -9: a job nobody waits for must not train on.
    options.death_signal = SIGKILL;
    if (spec_.command_stdout_to_stderr) options.stdout_fd = STDERR_FILENO;
    auto tail = StderrTail::Start(STDERR_FILENO, kFailureReasonBytes);
    if (tail.ok()) options.stderr_fd = (*tail)->write_fd();
    auto child = ChildProcess::Spawn(command, options);
    if (tail.ok()) (*tail)->CloseWriteEnd();
    if (!child.ok()) {
      fail(child.status().ToString(), 127);
    } else {
      auto synced_at = Clock::now();
      while (!(wait_status = child->Wait(std::chrono::milliseconds(100)))) {
        if (int sig = stop_requested()) {
          stop_signal = sig;
          wait_status = child->Stop(kStopGrace);
          break;
        }
        // Checkpoints go up while the job runs, so a job killed outright loses little.
        if (spec_.checkpoint && spec_.checkpoint_interval_s > 0 &&
            Clock::now() - synced_at >= std::chrono::seconds(spec_.checkpoint_interval_s)) {
          if (Status synced = SyncCheckpoints(/*restore=*/false); !synced.ok()) {
            status_line_("checkpoint upload: " + synced.ToString());
          }
          synced_at = Clock::now();
        }
      }
      // Writers the command left behind (its own children) get a moment, not the job's end.
      if (tail.ok()) {
        (*tail)->Finish(std::chrono::milliseconds(500));
        stderr_tail = (*tail)->Tail();
      }
      for (auto& p : pipes) {
        if (!p->status().ok() && outcome.failure_reason.empty()) {
          outcome.failure_reason = p->status().ToString();
        }
      }
    }
  }
  // The data side ends before the outputs go: pipes closed, mounts unmounted.
  pipes.clear();
  mounts.clear();
  if (stop_signal) {
    outcome.status = "Stopped";
    outcome.exit_code = 128 + stop_signal;  // as a shell reports it: 130 for Ctrl-C
    outcome.failure_reason = std::string("stopped by signal ") + ::strsignal(stop_signal);
  } else if (wait_status) {
    outcome.exit_code = ExitCodeOf(*wait_status);
    if (outcome.exit_code == 0) {
      outcome.status = "Completed";
      outcome.failure_reason.clear();
    } else {
      fail(CommandFailureReason(*wait_status, stderr_tail), outcome.exit_code);
    }
  }
  record["channels"] = channels;
  phases.Enter("Uploading");
  Status uploaded = UploadOutputs(outcome.status == "Completed", outcome.failure_reason, &record);
  if (uploaded.ok()) uploaded = SyncCheckpoints(/*restore=*/false);
  if (!uploaded.ok()) {
    if (outcome.status == "Completed") fail("uploading outputs: " + uploaded.ToString(), 1);
    record["upload_error"] = uploaded.ToString();
  }
  phases.Enter(outcome.status);
  record["status"] = outcome.status;
  record["exit_code"] = outcome.exit_code;
  if (!outcome.failure_reason.empty()) record["failure_reason"] = outcome.failure_reason;
  record["phases"] = phases.record();
  {
    std::ofstream out(tree.root + "/job.json", std::ios::trunc);
    out << record.dump(2) << "\n";
  }
  if (spec_.output) {
    const OutputKeys keys = OutputKeysOf(spec_);
    (void)UploadFile(tree.root + "/job.json", keys.bucket, keys.record);
  }
  outcome.record = record;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return outcome;
}

}  // namespace ferry::train
