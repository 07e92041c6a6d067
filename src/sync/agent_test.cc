#include "sync/agent.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

namespace ferry::sync {
namespace {

namespace fs = std::filesystem;

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("ferry-agent-" + std::to_string(::getpid()))).string();
    fs::remove_all(dir_);
    auto store = TaskStore::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void AddTask(const std::string& name, const std::string& schedule) {
    TaskInfo t;
    t.name = name;
    t.source = "/data";
    t.destination = "s3://b/p";
    t.args = {"--delete"};
    t.schedule = schedule;
    t.created_s = clock_.NowNanos() / 1'000'000'000;
    ASSERT_TRUE(store_->Create(t).ok());
  }

  std::string dir_;
  std::unique_ptr<TaskStore> store_;
  ManualClock clock_{int64_t{1795564800} * 1'000'000'000};
};

TEST_F(AgentTest, TasksAreStoredAndRunByHand) {
  AddTask("nightly", "cron(0 2 * * ? *)");
  TaskInfo dup;
  dup.name = "nightly";
  EXPECT_EQ(store_->Create(dup).code(), Status::Code::kAlreadyExists);
  auto got = store_->Get("nightly");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->args, std::vector<std::string>{"--delete"});
  auto record = RunTaskOnce(*store_, "nightly", clock_, [](const TaskInfo& t, const std::string&) {
    EXPECT_EQ(t.destination, "s3://b/p");
    SyncResult r;
    r.transferred = 7;
    r.phases.preparing = 1.5;
    return Result<SyncResult>(r);
  });
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->status, "SUCCESS");
  auto history = store_->History("nightly", 10);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].transferred, 7u);
  EXPECT_DOUBLE_EQ((*history)[0].preparing_s, 1.5);
  EXPECT_TRUE((*history)[0].report.ends_with("/reports/nightly-1.json"));
  EXPECT_EQ(RunTaskOnce(*store_, "missing", clock_, nullptr).status().code(),
            Status::Code::kNotFound);
}

TEST_F(AgentTest, RatesAndCronsComeDue) {
  AddTask("hourly", "rate(1 hour)");
  AddTask("nightly", "cron(0 2 * * ? *)");
  AddTask("manual", "");
  std::atomic<int> runs{0};
  Agent agent(
      *store_, clock_,
      [&](const TaskInfo&, const std::string&) {
        ++runs;
        return Result<SyncResult>(SyncResult{});
      },
      [](const std::string&) {});
  EXPECT_EQ(agent.Tick(), std::vector<std::string>{"hourly"});
  agent.WaitIdle();
  EXPECT_TRUE(agent.Tick().empty());  // not due again yet
  clock_.Advance(int64_t{2} * 3600 * 1'000'000'000);
  auto started = agent.Tick();
  agent.WaitIdle();
  EXPECT_EQ(started, (std::vector<std::string>{"hourly", "nightly"}));
  EXPECT_EQ(runs.load(), 3);
}

TEST_F(AgentTest, SameFailureThreeTimesDisablesTheTask) {
  AddTask("flaky", "rate(1 minute)");
  auto fail = [](const TaskInfo&, const std::string&) {
    return Result<SyncResult>(Status::NotFound("/data: No such file or directory"));
  };
  std::vector<std::string> log;
  std::mutex log_mu;
  Agent agent(*store_, clock_, fail, [&](const std::string& line) {
    std::lock_guard lock(log_mu);
    log.push_back(line);
  });
  for (int i = 0; i < 4; ++i) {
    agent.Tick();
    agent.WaitIdle();
    clock_.Advance(int64_t{61} * 1'000'000'000);
  }
  auto task = store_->Get("flaky");
  ASSERT_TRUE(task.ok());
  EXPECT_FALSE(task->enabled);
  EXPECT_NE(task->disabled_reason.find("3 executions in a row"), std::string::npos);
  EXPECT_EQ(store_->History("flaky", 10)->size(), 3u);
  bool told = false;
  for (const auto& line : log) told |= line.find("disabled after 3") != std::string::npos;
  EXPECT_TRUE(told);
  ASSERT_TRUE(store_->SetEnabled("flaky", true).ok());
  EXPECT_EQ(store_->Get("flaky")->consecutive_failures, 0);
}

TEST_F(AgentTest, OneExecutionPerTaskAtATime) {
  AddTask("long", "");
  std::atomic<bool> inner_refused{false};
  auto record = RunTaskOnce(*store_, "long", clock_, [&](const TaskInfo&, const std::string&) {
    auto again = RunTaskOnce(*store_, "long", clock_, nullptr);
    inner_refused = again.status().code() == Status::Code::kPreconditionFailed;
    return Result<SyncResult>(SyncResult{});
  });
  ASSERT_TRUE(record.ok());
  EXPECT_TRUE(inner_refused.load());
}

}  // namespace
}  // namespace ferry::sync
