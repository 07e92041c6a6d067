#include "localstore/maintainer.h"

namespace ferry::local {

Maintainer::Maintainer() : thread_([this] { Loop(); }) {}

Maintainer::~Maintainer() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void Maintainer::Request(std::weak_ptr<MaintenanceTarget> target) {
  {
    std::lock_guard l(mu_);
    queue_.push_back(std::move(target));
  }
  cv_.notify_one();
}

void Maintainer::Loop() {
  std::unique_lock l(mu_);
  for (;;) {
    cv_.wait(l, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    std::weak_ptr<MaintenanceTarget> weak = std::move(queue_.front());
    queue_.pop_front();
    l.unlock();
    if (auto target = weak.lock()) target->RunMaintenance();
    l.lock();
  }
}

}  // namespace ferry::local
