// The SageMaker container contract a training script sees: the /opt/ml tree, the JSON files
// under input/config, and the SM_* environment, as the SageMaker training toolkit documents
// them.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "ferry/status.h"
#include "train/job_spec.h"

namespace ferry::train {

// The paths of one job's tree under its ml root.
struct MlTree {
  explicit MlTree(std::string root);
  std::string root;
  std::string input;        // input/
  std::string config;       // input/config/
  std::string data;         // input/data/
  std::string model;        // model/
  std::string output;       // output/
  std::string output_data;  // output/data/
  std::string failure;      // output/failure
  std::string checkpoints;  // checkpoints/
  std::string ChannelDir(const std::string& channel) const { return data + channel; }
};

// Creates the tree's directories (input/data/<channel> only for File-mode channels; Pipe
// channels get FIFOs, Fast File channels a mount point, made by their deliverers).
Status MakeTree(const MlTree& tree, const TrainSpec& spec);

// hyperparameters.json: every value a string, as SageMaker writes it.
nlohmann::json HyperparametersJson(const TrainSpec& spec);
// The hyperparameters as command-line arguments, as SageMaker's training toolkit appends them
// to a script's command: sorted by key, `--key value` (`-k value` for one-letter keys), each
// value as Python's str() of its JSON value: a JSON string unquoted, true/false as True/False,
// an object as k=v,k2=v2; anything else as given.
std::vector<std::string> HyperparameterArgs(const TrainSpec& spec);
// inputdataconfig.json: per channel TrainingInputMode, S3DistributionType,
// RecordWrapperType, CompressionType.
nlohmann::json InputDataConfigJson(const TrainSpec& spec);
// resourceconfig.json: current_host, hosts, network_interface_name.
nlohmann::json ResourceConfigJson(const TrainSpec& spec);

// Writes the three files under input/config.
Status WriteConfigFiles(const MlTree& tree, const TrainSpec& spec);

// The SM_* variables (and TRAINING_JOB_NAME) for the training command. cpus and gpus are
// what the machine has.
std::map<std::string, std::string> TrainingEnvironment(const MlTree& tree, const TrainSpec& spec,
                                                       unsigned cpus, unsigned gpus);

}  // namespace ferry::train
