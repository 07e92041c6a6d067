#include "core/child_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "train/stderr_tail.h"

namespace ferry::train {
namespace {

ChildProcess::Options Plain() {
  return {CurrentEnvironment()};
}

bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, name, state;
  if (!(stat >> pid_field >> name >> state)) return false;
  return state != "Z" && state != "X";
}

TEST(ChildProcess, ExitCodesAndSpawnErrors) {
  auto child = ChildProcess::Spawn({"sh", "-c", "exit 3"}, Plain());
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  auto status = child->Wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(ExitCodeOf(*status), 3);
  auto missing = ChildProcess::Spawn({"ferry-no-such-program"}, Plain());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("ferry-no-such-program"), std::string::npos);
  auto not_executable = ChildProcess::Spawn({"/etc/hostname"}, Plain());
  EXPECT_FALSE(not_executable.ok());
}

TEST(ChildProcess, DiesWithTheProcessThatSpawnedIt) {
  // A middle process spawns a long sleep with a death signal and is then killed outright,
  // as ferry is by kill -9: the sleep must end too.
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t middle = ::fork();
  if (middle == 0) {
    ChildProcess::Options options{CurrentEnvironment()};
    options.death_signal = SIGKILL;
    auto sleeper = ChildProcess::Spawn({"sleep", "60"}, options);
    const pid_t pid = sleeper.ok() ? sleeper->pid() : -1;
    (void)!::write(report[1], &pid, sizeof pid);
    ::pause();
    ::_exit(0);
  }
  ::close(report[1]);
  pid_t sleeper = -1;
  ASSERT_EQ(::read(report[0], &sleeper, sizeof sleeper), static_cast<ssize_t>(sizeof sleeper));
  ::close(report[0]);
  ASSERT_GT(sleeper, 0);
  EXPECT_TRUE(Alive(sleeper));
  ::kill(middle, SIGKILL);
  ::waitpid(middle, nullptr, 0);
  for (int i = 0; i < 200 && Alive(sleeper); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(Alive(sleeper)) << "the child outlived the process that spawned it";
}

TEST(StderrTail, PassesStderrOnAndKeepsItsLastLines) {
  char path[] = "/tmp/ferry-stderr-XXXXXX";
  const int out = ::mkstemp(path);
  ASSERT_GE(out, 0);
  ::unlink(path);
  auto tail = StderrTail::Start(out, 16);
  ASSERT_TRUE(tail.ok());
  ChildProcess::Options options{CurrentEnvironment()};
  options.stderr_fd = (*tail)->write_fd();
  auto child = ChildProcess::Spawn(
      {"sh", "-c", "echo first line >&2; echo out; echo second >&2; echo third >&2; exit 1"},
      options);
  (*tail)->CloseWriteEnd();
  ASSERT_TRUE(child.ok());
  child->Wait(std::chrono::seconds(10));
  (*tail)->Finish(std::chrono::milliseconds(500));
  EXPECT_EQ((*tail)->Tail(), "second\nthird") << "whole lines of the last 16 bytes";
  std::string copied(100, '\0');
  copied.resize(static_cast<size_t>(::pread(out, copied.data(), copied.size(), 0)));
  EXPECT_EQ(copied, "first line\nsecond\nthird\n") << "stderr passed on whole, stdout not";
  ::close(out);
}

TEST(StderrTail, DoesNotWaitForWritersThatOutliveTheCommand) {
  const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  auto tail = StderrTail::Start(devnull, 64);
  ASSERT_TRUE(tail.ok());
  ChildProcess::Options options{CurrentEnvironment()};
  options.stderr_fd = (*tail)->write_fd();
  // The command leaves a child holding its stderr open.
  auto child = ChildProcess::Spawn({"sh", "-c", "echo bye >&2; sleep 30 & exit 0"}, options);
  (*tail)->CloseWriteEnd();
  ASSERT_TRUE(child.ok());
  child->Wait(std::chrono::seconds(10));
  const auto start = std::chrono::steady_clock::now();
  (*tail)->Finish(std::chrono::milliseconds(300));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ((*tail)->Tail(), "bye");
  ::close(devnull);
}

}  // namespace
}  // namespace ferry::train
