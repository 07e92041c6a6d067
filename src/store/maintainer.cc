#include "store/checkpointer.h"

namespace ferry::local {

Checkpointer::Checkpointer() : thread_([this] { Loop(); }) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void Checkpointer::Request(std::weak_ptr<CheckpointTarget> target) {
  {
    std::lock_guard l(mu_);
    queue_.push_back(std::move(target));
  }
  cv_.notify_one();
}

void Checkpointer::Loop() {
  std::unique_lock l(mu_);
  for (;;) {
    cv_.wait(l, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    std::weak_ptr<CheckpointTarget> weak = std::move(queue_.front());
    queue_.pop_front();
    l.unlock();
    if (auto target = weak.lock()) target->RunCheckpoint();
    l.lock();
  }
}

}  // namespace ferry::local
