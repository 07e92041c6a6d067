// A training job when the store fails: a channel that cannot be downloaded fails the job
// before its command runs, an output that cannot be uploaded fails the job instead of
// completing it, and short reads still give the command exact data. Over MemoryStore wrapped
// in a FaultyStore, with a real command.
#include <gtest/gtest.h>

#include <filesystem>

#include "s3/errors.h"
#include "testing/faulty_store.h"
#include "testing/memory_store.h"
#include "testing/store_test_util.h"
#include "train/training_job.h"

namespace ferry::train {
namespace {

namespace fs = std::filesystem;
using ferry::testing::StoreCall;

class TrainingJobFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    BlockStopSignals();  // before any thread, as `ferry train` does
    ASSERT_TRUE(memory_.CreateBucket("bkt").ok());
    for (int i = 0; i < 3; ++i) {
      const std::string body = ferry::testing::Bytes(300'000, i);
      data_ += body;
      ASSERT_TRUE(ferry::testing::Put(memory_, "bkt", "data/f" + std::to_string(i), body).ok());
    }
  }

  TrainSpec Spec(const std::string& job) {
    TrainSpec spec;
    spec.job_name = job;
    ChannelSpec channel;
    channel.name = "training";
    channel.source = *transfer::ParseLocation("s3://bkt/data");
    spec.channels.push_back(channel);
    spec.output = *transfer::ParseLocation("s3://bkt/out");
    spec.ml_root = (fs::path(dir_.path()) / job).string();
    spec.hosts = {"algo-1"};
    spec.current_host = "algo-1";
    spec.compress_output = false;
    marker_ = (fs::path(dir_.path()) / (job + ".ran")).string();
    // The command records that it ran and copies what it was given to the model.
    spec.command = {
        "sh", "-c",
        "touch '" + marker_ + "'; cat \"$SM_CHANNEL_TRAINING\"/* > \"$SM_MODEL_DIR/seen\""};
    spec.hyperparameter_args = false;
    return spec;
  }

  JobOutcome Run(const TrainSpec& spec) {
    TrainingJob job(store_, spec, [](const std::string&) {});
    const Status prepared = job.Prepare();
    EXPECT_TRUE(prepared.ok()) << prepared.ToString();
    if (!prepared.ok()) return {1, "Failed", prepared.ToString(), {}};
    return job.Run();
  }

  ferry::testing::MemoryStore memory_;
  ferry::testing::FaultyStore store_{memory_};
  ferry::testing::TempDir dir_;
  std::string data_;
  std::string marker_;
};

TEST_F(TrainingJobFaults, AChannelThatCannotBeDownloadedFailsTheJobBeforeItsCommand) {
  store_.Add({.call = StoreCall::kRead,
              .key_prefix = "data/f1",
              .error = s3err::InternalError("We encountered an internal error.")});
  const JobOutcome outcome = Run(Spec("download-fails"));
  EXPECT_EQ(outcome.status, "Failed");
  EXPECT_NE(outcome.exit_code, 0);
  EXPECT_NE(outcome.failure_reason.find("data/f1"), std::string::npos) << outcome.failure_reason;
  EXPECT_FALSE(fs::exists(marker_)) << "the command ran on partial data";
}

TEST_F(TrainingJobFaults, AnOutputThatCannotBeUploadedFailsTheJob) {
  store_.Add({.call = StoreCall::kCommit,
              .key_prefix = "out/upload-fails/output/model",
              .error = Status::Unavailable("connection reset")});
  store_.Add({.call = StoreCall::kCompleteMultipart,
              .key_prefix = "out/upload-fails/output/model",
              .error = Status::Unavailable("connection reset")});
  const JobOutcome outcome = Run(Spec("upload-fails"));
  EXPECT_TRUE(fs::exists(marker_));
  EXPECT_EQ(outcome.status, "Failed") << "a model that never reached the bucket";
  EXPECT_NE(outcome.exit_code, 0);
}

TEST_F(TrainingJobFaults, ShortReadsGiveTheCommandExactData) {
  store_.Add({.call = StoreCall::kRead, .short_read = 1000});
  const JobOutcome outcome = Run(Spec("short-reads"));
  ASSERT_EQ(outcome.status, "Completed") << outcome.failure_reason;
  auto seen = ferry::testing::ReadAll(memory_, "bkt", "out/short-reads/output/model/seen");
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  EXPECT_TRUE(*seen == data_);
}

}  // namespace
}  // namespace ferry::train
