// What `ferry train` is asked to run: the channels and how each is delivered, the
// hyperparameters, where outputs and checkpoints go, and the command. Plain data, filled by
// the CLI from its flags and checked by Validate before anything starts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ferry/status.h"
#include "transfer/location.h"
#include "transfer/restore.h"

namespace ferry::train {

// SageMaker's TrainingInputMode.
enum class InputMode { kFile, kFastFile, kPipe };
const char* InputModeName(InputMode mode);                // "File", "FastFile", "Pipe"
Result<InputMode> ParseInputMode(std::string_view text);  // file | fastfile | pipe

enum class Distribution { kFullyReplicated, kShardedByKey };

struct ChannelSpec {
  std::string name;
  transfer::Location source;      // s3://bucket/prefix, or a local (NFS, FSx, EFS) directory
  std::optional<InputMode> mode;  // unset: the job's input mode
  std::optional<transfer::Location> manifest;  // an S3 manifest file (ManifestFile)
  // A listing index of the prefix (or of one containing it) to start from instead of a LIST:
  // a sharded host reads only its part of it (index/index_shard.h).
  std::optional<transfer::Location> index;
  // Pipe mode with an augmented manifest (JSON Lines): the attributes sent, in order.
  std::vector<std::string> attribute_names;
};

struct TrainSpec {
  std::string job_name;
  std::vector<ChannelSpec> channels;
  InputMode input_mode = InputMode::kFile;
  Distribution distribution = Distribution::kFullyReplicated;
  std::map<std::string, std::string> hyperparameters;  // values as given (strings)
  std::optional<transfer::Location> output;            // s3://bucket/prefix
  std::optional<transfer::Location> checkpoint;        // s3://bucket/prefix
  uint64_t checkpoint_interval_s = 60;                 // uploads of checkpoints while training
  // Archived objects in File and Pipe channels: unset, the job does not start and one error
  // names them; set, they are restored first (the job waits). In Fast File channels: unset,
  // opening one fails with EAGAIN (its restore started); set, its first read waits for it.
  std::optional<transfer::RestoreSettings> restore;
  std::string ml_root;  // the /opt/ml tree of the job
  // The hosts of a distributed job and which one this is (algo-1, algo-2, ...), and the
  // rank and count that shard the data.
  std::vector<std::string> hosts;
  std::string current_host;
  uint64_t rank = 0;
  uint64_t world = 1;
  std::optional<uint64_t> shuffle_seed;  // Pipe mode and sharding: reshuffle per epoch
  bool gzip_input = false;               // Pipe mode: objects are gzip-compressed
  bool recordio = false;                 // Pipe mode: wrap each object as a RecordIO record
  bool compress_output = true;           // model.tar.gz and output.tar.gz, else the trees
  uint64_t pipe_epochs = 0;              // Pipe mode: epochs offered (0: as many as opened)
  // Fast File mode: the mount's cache.
  std::string cache_dir;
  std::string cache_size = "10G";
  std::string ferry_binary;  // this program, run as `ferry mount` for Fast File channels
  std::vector<std::string> client_args;  // --endpoint-url, --profile... for that mount
  std::string python_path;  // ferry's Python helpers (ferry_prefetch), put on PYTHONPATH
  // With Fast File channels, put on LD_PRELOAD (src/preload: isatty() of a regular file
  // without an ioctl, which on a mount is a round trip per open() in Python before 3.14).
  std::string preload_library;
  std::vector<std::string> command;
  // Hyperparameters are also appended to the command as `--key value` (SageMaker's toolkit).
  bool hyperparameter_args = true;
  // The command's stdout goes to ferry's stderr (ferry's stdout carries the job record).
  bool command_stdout_to_stderr = false;
  // Replace what an earlier job of the same name left, here and in the bucket.
  bool overwrite = false;
};

// Where this host's outputs go. A job's first host (rank 0) writes <output>/<job>/job.json
// and <output>/<job>/output/{model,output}.tar.gz as SageMaker does; every other host of a
// multi-host job writes the same under <output>/<job>/hosts/<host>/, so no two hosts ever
// write one key.
struct OutputKeys {
  std::string bucket;
  std::string outputs;  // prefix of model.tar.gz, output.tar.gz, failure
  std::string record;   // the job record (job.json)
};
OutputKeys OutputKeysOf(const TrainSpec& spec);  // spec.output must be set

// Everything wrong with a spec that can be told before anything starts.
Status Validate(const TrainSpec& spec);

// The mode a channel is delivered in: a local directory is linked in (File mode) whatever
// the job's mode, which applies to S3 channels.
inline InputMode ModeOf(const TrainSpec& spec, const ChannelSpec& channel) {
  if (!channel.source.is_s3) return channel.mode.value_or(InputMode::kFile);
  return channel.mode.value_or(spec.input_mode);
}

}  // namespace ferry::train
