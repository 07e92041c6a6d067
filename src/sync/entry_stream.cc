#include "sync/entry_stream.h"

#include <algorithm>

namespace ferry::sync {
namespace {

constexpr size_t kBatchEntries = 256;

}  // namespace

EntryStream::EntryStream(std::function<Status(const Emit&)> walk, size_t capacity)
    : batch_size_(std::clamp<size_t>(capacity / 4, 1, kBatchEntries)),
      max_batches_(std::max<size_t>(capacity / batch_size_, 1)) {
  thread_ = std::thread([this, walk = std::move(walk)] {
    Status st = walk([this](const Entry& e) { return Push(e); });
    // What was walked before a failure is still delivered, as it was emitted.
    Status flushed = Flush();
    if (st.ok()) st = flushed;
    std::lock_guard lock(mu_);
    done_ = true;
    if (status_.ok()) status_ = st;
    not_empty_.notify_all();
  });
}

EntryStream::~EntryStream() {
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    not_full_.notify_all();
  }
  thread_.join();
}

Status EntryStream::Push(const Entry& e) {
  filling_.push_back(e);
  if (filling_.size() < batch_size_) return Status::OK();
  return Flush();
}

Status EntryStream::Flush() {
  if (filling_.empty()) return Status::OK();
  std::unique_lock lock(mu_);
  not_full_.wait(lock, [&] { return queue_.size() < max_batches_ || cancelled_; });
  if (cancelled_) return Status::Cancelled("walk stopped");
  const bool was_empty = queue_.empty();
  queue_.push_back(std::move(filling_));
  filling_ = Batch();
  filling_.reserve(batch_size_);
  if (was_empty) not_empty_.notify_one();
  return Status::OK();
}

std::optional<Entry> EntryStream::Next() {
  if (taken_ == taking_.size()) {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !queue_.empty() || done_; });
    if (queue_.empty()) return std::nullopt;
    const bool was_full = queue_.size() == max_batches_;
    taking_ = std::move(queue_.front());
    queue_.pop_front();
    taken_ = 0;
    if (was_full) not_full_.notify_one();
  }
  return std::move(taking_[taken_++]);
}

Status EntryStream::status() {
  std::lock_guard lock(mu_);
  return status_;
}

}  // namespace ferry::sync
