#include "train/job_spec.h"

#include <set>

namespace ferry::train {

const char* InputModeName(InputMode mode) {
  switch (mode) {
    case InputMode::kFile:
      return "File";
    case InputMode::kFastFile:
      return "FastFile";
    case InputMode::kPipe:
      return "Pipe";
  }
  return "File";
}

Result<InputMode> ParseInputMode(std::string_view text) {
  if (text == "file" || text == "File") return InputMode::kFile;
  if (text == "fastfile" || text == "FastFile") return InputMode::kFastFile;
  if (text == "pipe" || text == "Pipe") return InputMode::kPipe;
  return Status::InvalidArgument("input mode \"" + std::string(text) +
                                 "\" is not one of file, fastfile, pipe");
}

namespace {

bool NameChars(std::string_view name, std::string_view extra) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Status Validate(const TrainSpec& spec) {
  if (spec.command.empty()) {
    return Status::InvalidArgument("no command: ferry train [options] -- COMMAND [ARGS...]");
  }
  if (!NameChars(spec.job_name, "-") || spec.job_name.size() > 63) {
    return Status::InvalidArgument("--job-name \"" + spec.job_name +
                                   "\": 1 to 63 letters, digits and hyphens");
  }
  std::set<std::string> names;
  for (const auto& c : spec.channels) {
    if (!NameChars(c.name, "._-")) {
      return Status::InvalidArgument("channel name \"" + c.name +
                                     "\": letters, digits, '.', '_' and '-' only");
    }
    if (!names.insert(c.name).second) {
      return Status::InvalidArgument("channel \"" + c.name + "\" given twice");
    }
    const InputMode mode = ModeOf(spec, c);
    if (!c.source.is_s3 && mode != InputMode::kFile) {
      return Status::InvalidArgument("channel \"" + c.name + "\": a local directory (" +
                                     c.source.path + ") is delivered in File mode only");
    }
    if (!c.attribute_names.empty() && (mode != InputMode::kPipe || !c.manifest || !spec.recordio)) {
      return Status::InvalidArgument(
          "channel \"" + c.name +
          "\": --attribute-names needs Pipe mode, --record-wrapper recordio and a --manifest");
    }
    if (c.manifest && !c.manifest->is_s3) {
      return Status::InvalidArgument("channel \"" + c.name + "\": the manifest must be s3://");
    }
  }
  if (spec.output && !spec.output->is_s3) {
    return Status::InvalidArgument("--output must be s3://bucket/prefix");
  }
  if (spec.checkpoint && !spec.checkpoint->is_s3) {
    return Status::InvalidArgument("--checkpoint must be s3://bucket/prefix");
  }
  if (spec.world == 0 || spec.rank >= spec.world) {
    return Status::InvalidArgument("host rank " + std::to_string(spec.rank) + " of " +
                                   std::to_string(spec.world) + " hosts");
  }
  if (!NameChars(spec.current_host, "._-")) {
    return Status::InvalidArgument("host name \"" + spec.current_host +
                                   "\": letters, digits, '.', '_' and '-' only");
  }
  if (spec.ml_root.empty()) return Status::InvalidArgument("--ml-root is empty");
  return Status::OK();
}

OutputKeys OutputKeysOf(const TrainSpec& spec) {
  OutputKeys keys;
  keys.bucket = spec.output->bucket;
  std::string base = spec.output->key;
  if (!base.empty() && !base.ends_with('/')) base += '/';
  base += spec.job_name + "/";
  if (spec.rank != 0) base += "hosts/" + spec.current_host + "/";
  keys.outputs = base + "output/";
  keys.record = base + "job.json";
  return keys;
}

}  // namespace ferry::train
