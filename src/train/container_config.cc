#include "train/container_config.h"

#include <cctype>
#include <filesystem>
#include <fstream>

namespace ferry::train {
namespace {

Status WriteJson(const std::string& path, const nlohmann::json& json) {
  std::ofstream out(path, std::ios::trunc);
  out << json.dump(4) << "\n";
  out.close();
  if (!out) return Status::IOError(path + ": cannot write");
  return Status::OK();
}

Status MakeDirectory(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Status::IOError(path + ": " + ec.message());
  return Status::OK();
}

// A hyperparameter as the toolkit hands it to scripts: JSON when it parses as JSON (numbers,
// booleans, lists), else the string.
nlohmann::json Deserialized(const std::string& value) {
  auto parsed = nlohmann::json::parse(value, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json(value) : parsed;
}

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

MlTree::MlTree(std::string r) : root(std::move(r)) {
  while (root.size() > 1 && root.ends_with('/')) root.pop_back();
  input = root + "/input/";
  config = input + "config/";
  data = input + "data/";
  model = root + "/model/";
  output = root + "/output/";
  output_data = output + "data/";
  failure = output + "failure";
  checkpoints = root + "/checkpoints/";
}

Status MakeTree(const MlTree& tree, const TrainSpec& spec) {
  for (const auto& dir : {tree.config, tree.data, tree.model, tree.output_data, tree.checkpoints}) {
    FERRY_RETURN_IF_ERROR(MakeDirectory(dir));
  }
  for (const auto& c : spec.channels) {
    if (ModeOf(spec, c) == InputMode::kFile && c.source.is_s3) {
      FERRY_RETURN_IF_ERROR(MakeDirectory(tree.ChannelDir(c.name)));
    }
  }
  return Status::OK();
}

nlohmann::json HyperparametersJson(const TrainSpec& spec) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : spec.hyperparameters) out[k] = v;
  return out;
}

namespace {

std::string ArgumentValue(const std::string& value) {
  const nlohmann::json parsed = Deserialized(value);
  if (parsed.is_string()) return parsed.get<std::string>();
  if (parsed.is_boolean()) return parsed.get<bool>() ? "True" : "False";
  if (parsed.is_object()) {
    std::string out;
    for (const auto& [k, v] : parsed.items()) {  // nlohmann::json keeps keys sorted
      if (!out.empty()) out += ',';
      out += k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    return out;
  }
  return value;
}

}  // namespace

std::vector<std::string> HyperparameterArgs(const TrainSpec& spec) {
  std::vector<std::string> args;
  for (const auto& [key, value] : spec.hyperparameters) {  // a std::map: sorted by key
    args.push_back((key.size() == 1 ? "-" : "--") + key);
    args.push_back(ArgumentValue(value));
  }
  return args;
}

nlohmann::json InputDataConfigJson(const TrainSpec& spec) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& c : spec.channels) {
    const InputMode mode = ModeOf(spec, c);
    nlohmann::json ch = {
        {"TrainingInputMode", InputModeName(mode)},
        {"S3DistributionType",
         spec.distribution == Distribution::kShardedByKey ? "ShardedByS3Key" : "FullyReplicated"},
        {"RecordWrapperType", mode == InputMode::kPipe && spec.recordio ? "RecordIO" : "None"},
        {"CompressionType", mode == InputMode::kPipe && spec.gzip_input ? "Gzip" : "None"}};
    if (!c.source.is_s3) ch["FileSystemType"] = "Local";
    out[c.name] = ch;
  }
  return out;
}

nlohmann::json ResourceConfigJson(const TrainSpec& spec) {
  return {{"current_host", spec.current_host},
          {"hosts", spec.hosts},
          {"network_interface_name", "eth0"}};
}

Status WriteConfigFiles(const MlTree& tree, const TrainSpec& spec) {
  FERRY_RETURN_IF_ERROR(WriteJson(tree.config + "hyperparameters.json", HyperparametersJson(spec)));
  FERRY_RETURN_IF_ERROR(WriteJson(tree.config + "inputdataconfig.json", InputDataConfigJson(spec)));
  return WriteJson(tree.config + "resourceconfig.json", ResourceConfigJson(spec));
}

std::map<std::string, std::string> TrainingEnvironment(const MlTree& tree, const TrainSpec& spec,
                                                       unsigned cpus, unsigned gpus) {
  std::map<std::string, std::string> env;
  nlohmann::json channels = nlohmann::json::array();
  nlohmann::json channel_dirs = nlohmann::json::object();
  for (const auto& c : spec.channels) {
    channels.push_back(c.name);
    channel_dirs[c.name] = tree.ChannelDir(c.name);
    env["SM_CHANNEL_" + Upper(c.name)] = tree.ChannelDir(c.name);
  }
  nlohmann::json hps = nlohmann::json::object();
  for (const auto& [k, v] : spec.hyperparameters) {
    hps[k] = Deserialized(v);
    env["SM_HP_" + Upper(k)] = v;
  }
  const nlohmann::json data_config = InputDataConfigJson(spec);
  const nlohmann::json resource = ResourceConfigJson(spec);
  env["TRAINING_JOB_NAME"] = spec.job_name;
  env["SM_MODEL_DIR"] = tree.model.substr(0, tree.model.size() - 1);
  env["SM_CHANNELS"] = channels.dump();
  env["SM_HPS"] = hps.dump();
  env["SM_CURRENT_HOST"] = spec.current_host;
  env["SM_HOSTS"] = nlohmann::json(spec.hosts).dump();
  env["SM_NUM_CPUS"] = std::to_string(cpus);
  env["SM_NUM_GPUS"] = std::to_string(gpus);
  env["SM_INPUT_DIR"] = tree.input.substr(0, tree.input.size() - 1);
  env["SM_INPUT_CONFIG_DIR"] = tree.config.substr(0, tree.config.size() - 1);
  env["SM_INPUT_DATA_CONFIG"] = data_config.dump();
  env["SM_RESOURCE_CONFIG"] = resource.dump();
  env["SM_OUTPUT_DIR"] = tree.output.substr(0, tree.output.size() - 1);
  env["SM_OUTPUT_DATA_DIR"] = tree.output_data.substr(0, tree.output_data.size() - 1);
  env["SM_CHECKPOINT_DIR"] = tree.checkpoints.substr(0, tree.checkpoints.size() - 1);
  env["SM_NETWORK_INTERFACE_NAME"] = "eth0";
  env["SM_LOG_LEVEL"] = "20";
  env["SM_USER_ARGS"] = nlohmann::json(HyperparameterArgs(spec)).dump();
  env["SM_TRAINING_ENV"] = nlohmann::json{
      {"job_name", spec.job_name},
      {"channel_input_dirs", channel_dirs},
      {"current_host", spec.current_host},
      {"hosts", spec.hosts},
      {"hyperparameters", hps},
      {"input_config_dir", env["SM_INPUT_CONFIG_DIR"]},
      {"input_data_config", data_config},
      {"input_dir", env["SM_INPUT_DIR"]},
      {"log_level", 20},
      {"model_dir", env["SM_MODEL_DIR"]},
      {"network_interface_name", "eth0"},
      {"num_cpus", cpus},
      {"num_gpus", gpus},
      {"output_data_dir", env["SM_OUTPUT_DATA_DIR"]},
      {"output_dir", env["SM_OUTPUT_DIR"]},
      {"resource_config",
       resource}}.dump();
  return env;
}

}  // namespace ferry::train
