// One `ferry train` job from start to end, in SageMaker's phases: Starting (the /opt/ml tree,
// config files, channel listings, checkpoints restored), Downloading (File-mode channels),
// Training (the command, with Fast File mounts and Pipe FIFOs served meanwhile, checkpoints
// uploaded every checkpoint_interval_s), Uploading (model.tar.gz, output.tar.gz, the failure
// reason, checkpoints), then Completed, Failed or
// Stopped. A job record (phases, durations, channels, outcome) is written to
// <ml root>/job.json and uploaded beside the outputs.
//
// SIGINT/SIGTERM/SIGHUP are taken by the job while it runs (blocked in every thread and
// waited for): the command gets SIGTERM (SIGKILL after a grace period), mounts are unmounted,
// pipes closed, and the job ends as Stopped. The process must call BlockStopSignals before it
// starts any thread (the store's included), so that no thread takes them with the default
// action, which would end the process without any of this.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ferry/object_store.h"
#include "train/channel_objects.h"
#include "train/job_directory.h"
#include "train/job_spec.h"

namespace ferry::train {

void BlockStopSignals();

struct JobOutcome {
  int exit_code = 0;   // the command's (128 + signal if killed); 1 when ferry failed first
  std::string status;  // "Completed", "Failed", "Stopped"
  std::string failure_reason;
  nlohmann::json record;
};

class TrainingJob {
 public:
  // status_line receives one line per phase change ("Downloading", ...).
  TrainingJob(ObjectStore& store, TrainSpec spec,
              std::function<void(const std::string&)> status_line);

  // Checks what can be checked before anything starts (channels exist, prefixes hold
  // objects); InvalidArgument or NotFound when not.
  Status Prepare();
  // Runs the job; Prepare must have succeeded.
  JobOutcome Run();

 private:
  // Archived objects of a File or Pipe channel: restored first (spec's restore), or one error.
  Status ReadyArchived(const ChannelSpec& channel, const ChannelObjects& objects);
  struct Phases;
  // from_index: objects gone since the channel's index was built are skipped with a warning.
  Status Download(const ChannelObjects& objects, const std::string& dir, bool from_index);
  // Whether an earlier job of this name left this host's record or outputs in the bucket,
  // and their removal (--overwrite).
  Result<bool> HasEarlierOutputs(const OutputKeys& keys);
  Status RemoveEarlierOutputs();
  // The command's failure as SageMaker reports it: output/failure if the command wrote it,
  // else how it ended and the last lines of its stderr.
  std::string CommandFailureReason(int wait_status, const std::string& stderr_tail) const;
  Status UploadFile(const std::string& path, const std::string& bucket, const std::string& key);
  Status SyncCheckpoints(bool restore);
  // Uploads model, output data and the failure reason under <output>/<job>/output/.
  Status UploadOutputs(bool succeeded, const std::string& failure_reason, nlohmann::json* record);

  ObjectStore& store_;
  const TrainSpec spec_;
  std::function<void(const std::string&)> status_line_;
  // Per channel (in spec order): this host's objects of S3 channels in File and Pipe mode.
  std::vector<std::optional<ChannelObjects>> channel_objects_;
  std::unique_ptr<JobDirectory> job_directory_;  // claimed by Prepare
};

}  // namespace ferry::train
