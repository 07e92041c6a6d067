#include "train/job_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/child_process.h"

namespace ferry::train {
namespace {

// What a job makes in its tree (container_config.h's MlTree, the outputs packed beside it).
const char* const kJobEntries[] = {"input",          "model",        "output",
                                   "checkpoints",    "cache",        "job.json",
                                   "failure-reason", "model.tar.gz", "output.tar.gz"};

// A mountinfo path with its octal escapes (\040 for a space) decoded.
std::string Unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      const std::string digits = text.substr(i + 1, 3);
      if (digits.size() == 3 &&
          std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out += static_cast<char>(std::stoi(digits, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

bool LeftByAJob(const std::string& root) {
  std::error_code ec;
  for (const char* entry : kJobEntries) {
    if (std::filesystem::exists(std::filesystem::symlink_status(root + "/" + entry, ec))) {
      return true;
    }
  }
  return false;
}

Status RemoveJobEntries(const std::string& root) {
  std::error_code ec;
  for (const char* entry : kJobEntries) {
    std::filesystem::remove_all(root + "/" + entry, ec);
    if (ec) return Status::IOError(root + "/" + entry + ": " + ec.message());
  }
  for (const auto& e : std::filesystem::directory_iterator(root, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("shard-") && name.ends_with(".txt")) std::filesystem::remove(e.path(), ec);
  }
  return Status::OK();
}

}  // namespace

std::vector<std::string> MountsUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  const std::string root = std::filesystem::path(dir).lexically_normal().string();
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, device, source, point;
    fields >> id >> parent >> device >> source >> point;
    point = Unescape(point);
    if (point == root || point.starts_with(root + "/")) out.push_back(point);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return out;
}

void UnmountFuse(const std::string& path, bool lazy) {
  std::vector<std::string> argv = {"fusermount3", "-u", "-q"};
  if (lazy) argv.push_back("-z");
  argv.push_back(path);
  auto p = ChildProcess::Spawn(argv, {CurrentEnvironment()});
  if (p.ok()) p->Wait(std::chrono::seconds(30));
}

Result<std::unique_ptr<JobDirectory>> JobDirectory::Claim(const std::string& ml_root,
                                                          bool overwrite) {
  std::error_code ec;
  std::filesystem::create_directories(ml_root, ec);
  if (ec) return Status::IOError(ml_root + ": " + ec.message());
  const std::string lock_path = ml_root + "/.ferry-job.lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(lock_path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::AlreadyExists(ml_root +
                                 " is in use by a running job (another rank or "
                                 "the same job started twice); give each its own --ml-root or "
                                 "--current-host");
  }
  std::unique_ptr<JobDirectory> claimed(new JobDirectory(fd));
  // With the tree claimed, no job runs in it: a mount under it is one a killed job left
  // behind (its process gone), and goes whether or not the tree is reused.
  for (const auto& point : MountsUnder(ml_root)) UnmountFuse(point, /*lazy=*/true);
  if (auto left = MountsUnder(ml_root); !left.empty()) {
    return Status::IOError(left.front() + " is still mounted; unmount it first");
  }
  if (!overwrite && LeftByAJob(ml_root)) {
    return Status::AlreadyExists(
        "a job already ran in " + ml_root +
        ": give a new --job-name, or --overwrite to remove everything the earlier job left");
  }
  if (overwrite) FERRY_RETURN_IF_ERROR(RemoveJobEntries(ml_root));
  return claimed;
}

JobDirectory::~JobDirectory() {
  ::close(lock_fd_);
}

}  // namespace ferry::train
