#include "sync/entry_stream.h"

namespace ferry::sync {

EntryStream::EntryStream(std::function<Status(const Emit&)> walk, size_t capacity)
    : capacity_(capacity) {
  thread_ = std::thread([this, walk = std::move(walk)] {
    Status st = walk([this](const Entry& e) { return Push(e); });
    std::lock_guard lock(mu_);
    done_ = true;
    status_ = st;
    cv_.notify_all();
  });
}

EntryStream::~EntryStream() {
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }
  thread_.join();
}

Status EntryStream::Push(const Entry& e) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return queue_.size() < capacity_ || cancelled_; });
  if (cancelled_) return Status::Cancelled("walk stopped");
  queue_.push_back(e);
  cv_.notify_all();
  return Status::OK();
}

std::optional<Entry> EntryStream::Next() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !queue_.empty() || done_; });
  if (queue_.empty()) return std::nullopt;
  Entry e = std::move(queue_.front());
  queue_.pop_front();
  cv_.notify_all();
  return e;
}

Status EntryStream::status() {
  std::lock_guard lock(mu_);
  return status_;
}

}  // namespace ferry::sync
