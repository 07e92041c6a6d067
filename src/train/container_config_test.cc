#include "train/container_config.h"

#include <gtest/gtest.h>

namespace ferry::train {
namespace {

TrainSpec Spec() {
  TrainSpec spec;
  spec.job_name = "job-1";
  ChannelSpec train;
  train.name = "training";
  train.source = *transfer::ParseLocation("s3://bkt/train/");
  ChannelSpec test = train;
  test.name = "test";
  test.mode = InputMode::kPipe;
  spec.channels = {train, test};
  spec.hyperparameters = {{"batch-size", "64"}, {"optimizer", "adam"}, {"layers", "[1, 2]"}};
  spec.hosts = {"algo-1", "algo-2"};
  spec.current_host = "algo-2";
  spec.rank = 1;
  spec.world = 2;
  spec.recordio = true;
  spec.ml_root = "/tmp/ml";
  spec.command = {"python3", "train.py", "--epochs", "2"};
  return spec;
}

TEST(ContainerConfig, FilesAsSageMakerWritesThem) {
  const TrainSpec spec = Spec();
  auto hps = HyperparametersJson(spec);
  EXPECT_EQ(hps["batch-size"], "64") << "every value a string";
  auto data = InputDataConfigJson(spec);
  EXPECT_EQ(data["training"]["TrainingInputMode"], "File");
  EXPECT_EQ(data["training"]["RecordWrapperType"], "None");
  EXPECT_EQ(data["test"]["TrainingInputMode"], "Pipe");
  EXPECT_EQ(data["test"]["RecordWrapperType"], "RecordIO");
  EXPECT_EQ(data["test"]["S3DistributionType"], "FullyReplicated");
  auto resource = ResourceConfigJson(spec);
  EXPECT_EQ(resource["current_host"], "algo-2");
  EXPECT_EQ(resource["hosts"].size(), 2u);
}

TEST(ContainerConfig, Environment) {
  const TrainSpec spec = Spec();
  const MlTree tree(spec.ml_root);
  auto env = TrainingEnvironment(tree, spec, 8, 0);
  EXPECT_EQ(env["SM_MODEL_DIR"], "/tmp/ml/model");
  EXPECT_EQ(env["SM_CHANNEL_TRAINING"], "/tmp/ml/input/data/training");
  EXPECT_EQ(env["SM_CHANNELS"], R"(["training","test"])");
  EXPECT_EQ(env["SM_HP_BATCH-SIZE"], "64");
  EXPECT_EQ(env["SM_HP_OPTIMIZER"], "adam");
  auto hps = nlohmann::json::parse(env["SM_HPS"]);
  EXPECT_EQ(hps["batch-size"], 64) << "deserialised where JSON";
  EXPECT_EQ(hps["optimizer"], "adam");
  EXPECT_EQ(hps["layers"], nlohmann::json::array({1, 2}));
  EXPECT_EQ(env["SM_CURRENT_HOST"], "algo-2");
  EXPECT_EQ(env["SM_HOSTS"], R"(["algo-1","algo-2"])");
  EXPECT_EQ(env["SM_NUM_CPUS"], "8");
  EXPECT_EQ(env["SM_NUM_GPUS"], "0");
  EXPECT_EQ(env["SM_OUTPUT_DATA_DIR"], "/tmp/ml/output/data");
  EXPECT_EQ(env["TRAINING_JOB_NAME"], "job-1");
  EXPECT_EQ(env["SM_USER_ARGS"],
            R"(["--batch-size","64","--layers","[1, 2]","--optimizer","adam"])");
  EXPECT_EQ(nlohmann::json::parse(env["SM_INPUT_DATA_CONFIG"])["test"]["TrainingInputMode"],
            "Pipe");
}

TEST(ContainerConfig, HyperparametersAsTheToolkitPassesThem) {
  TrainSpec spec = Spec();
  spec.hyperparameters = {
      {"lr", "0.1"},         {"epochs", "10"}, {"name", "\"resnet\""},
      {"shuffle", "true"},   {"k", "3"},       {"opts", R"({"b": 2, "a": "x"})"},
      {"plain", "some text"}};
  EXPECT_EQ(
      HyperparameterArgs(spec),
      (std::vector<std::string>{"--epochs", "10", "-k", "3", "--lr", "0.1", "--name", "resnet",
                                "--opts", "a=x,b=2", "--plain", "some text", "--shuffle", "True"}));
}

TEST(JobSpec, OutputKeysNeverShareAKeyBetweenHosts) {
  TrainSpec spec = Spec();
  spec.output = *transfer::ParseLocation("s3://out/models");
  spec.rank = 0;
  spec.current_host = "algo-1";
  OutputKeys first = OutputKeysOf(spec);
  EXPECT_EQ(first.bucket, "out");
  EXPECT_EQ(first.outputs, "models/job-1/output/");
  EXPECT_EQ(first.record, "models/job-1/job.json");
  spec.rank = 1;
  spec.current_host = "algo-2";
  OutputKeys second = OutputKeysOf(spec);
  EXPECT_EQ(second.outputs, "models/job-1/hosts/algo-2/output/");
  EXPECT_EQ(second.record, "models/job-1/hosts/algo-2/job.json");
  EXPECT_FALSE(second.outputs.starts_with(first.outputs));
}

TEST(JobSpec, ValidateNamesWhatIsWrong) {
  TrainSpec spec = Spec();
  EXPECT_TRUE(Validate(spec).ok());
  spec.command.clear();
  EXPECT_NE(Validate(spec).message().find("no command"), std::string::npos);
  spec = Spec();
  spec.channels[1].name = "training";
  EXPECT_NE(Validate(spec).message().find("given twice"), std::string::npos);
  spec = Spec();
  spec.channels[0].source = *transfer::ParseLocation("/data/local");
  spec.channels[0].mode = InputMode::kPipe;
  EXPECT_NE(Validate(spec).message().find("File mode only"), std::string::npos);
  spec = Spec();
  spec.job_name = "bad name";
  EXPECT_FALSE(Validate(spec).ok());
  spec = Spec();
  spec.current_host = "../algo";
  EXPECT_NE(Validate(spec).message().find("host name"), std::string::npos);
}

}  // namespace
}  // namespace ferry::train
