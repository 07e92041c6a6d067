// The job's /opt/ml tree on this host, claimed for the length of the job. A tree that a
// running job holds (another rank with the same tree, the same job started twice) is refused.
// A Fast File mount a killed job left behind in the tree is unmounted on every claim. A tree
// an earlier job of the same name left is refused, as SageMaker refuses a job name twice,
// unless the caller overwrites: then everything the job made in the tree is removed. Files
// the job did not make (a user's code beside it under /opt/ml) are left alone.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ferry/result.h"

namespace ferry::train {

class JobDirectory {
 public:
  static Result<std::unique_ptr<JobDirectory>> Claim(const std::string& ml_root, bool overwrite);
  ~JobDirectory();  // releases the claim
  JobDirectory(const JobDirectory&) = delete;
  JobDirectory& operator=(const JobDirectory&) = delete;

 private:
  explicit JobDirectory(int lock_fd) : lock_fd_(lock_fd) {}
  const int lock_fd_;
};

// The mount points at or under dir, deepest first (from /proc/self/mountinfo).
std::vector<std::string> MountsUnder(const std::string& dir);

// Unmounts a FUSE mount at path, lazily if it is busy or its process is gone.
void UnmountFuse(const std::string& path, bool lazy);

}  // namespace ferry::train
