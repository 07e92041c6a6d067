// Maintainer: one background thread doing buckets' housekeeping off the request path:
// copying WALs into their databases (PASSIVE checkpoints) so that no PUT waits for a
// checkpoint inside a commit, and dropping or compacting packs (see pack_store.h).
//
// A bucket asks for a pass with Request(); requests hold weak pointers, so a closed bucket is
// simply skipped. Thread-safe; the destructor stops and joins the thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace ferry::local {

class MaintenanceTarget {
 public:
  virtual ~MaintenanceTarget() = default;
  // Does whatever the target asked for since its last pass.
  virtual void RunMaintenance() = 0;
};

class Maintainer {
 public:
  Maintainer();
  ~Maintainer();
  Maintainer(const Maintainer&) = delete;
  Maintainer& operator=(const Maintainer&) = delete;

  void Request(std::weak_ptr<MaintenanceTarget> target);

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::weak_ptr<MaintenanceTarget>> queue_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ferry::local
