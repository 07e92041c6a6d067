#include "fs/ordered_prefetch.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ferry::fs {

OrderedPrefetch::OrderedPrefetch(Namespace& names, BlockReader& reader,
                                 OrderedPrefetchOptions options)
    : names_(names), reader_(reader), options_(std::move(options)) {
  for (unsigned i = 0; i < std::max(1u, options_.workers); ++i) {
    workers_.emplace_back([this] { Work(); });
  }
}

OrderedPrefetch::~OrderedPrefetch() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& t : workers_) t.join();
}

void OrderedPrefetch::SetOrder(std::vector<std::string> paths) {
  {
    std::lock_guard lock(mu_);
    ++generation_;
    positions_.clear();
    for (uint64_t i = 0; i < paths.size(); ++i) {
      positions_[options_.prefix + paths[i]].push_back(i);
    }
    plan_ = std::move(paths);
    sizes_.assign(plan_.size(), 0);
    position_ = next_ = ahead_bytes_ = 0;
    stats_ = {};
    stats_.planned = plan_.size();
  }
  changed_.notify_all();
}

void OrderedPrefetch::OnOpen(const std::string& key) {
  uint64_t advanced = 0;
  {
    std::lock_guard lock(mu_);
    auto it = positions_.find(key);
    if (it == positions_.end()) return;
    // The entry of this file at or after the position: an earlier one was an earlier epoch.
    auto entry = std::lower_bound(it->second.begin(), it->second.end(), position_);
    if (entry == it->second.end()) return;
    const uint64_t passed = *entry + 1;
    for (uint64_t i = position_; i < std::min(passed, next_); ++i) ahead_bytes_ -= sizes_[i];
    advanced = passed - position_;
    position_ = passed;
    if (next_ < position_) next_ = position_;  // the reader overtook the prefetch
    stats_.position = position_;
  }
  // Usually the reader moved one file on, which lets one more file start: waking every
  // worker for it would cost a context switch per worker and file.
  if (advanced == 1) {
    changed_.notify_one();
  } else {
    changed_.notify_all();
  }
}

bool OrderedPrefetch::CanStart() const {
  return next_ < plan_.size() && next_ - position_ < options_.window_files &&
         ahead_bytes_ < options_.window_bytes;
}

void OrderedPrefetch::Work() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || CanStart(); });
    if (stopping_) return;
    const uint64_t index = next_++;
    const uint64_t generation = generation_;
    const std::string path = plan_[index];
    lock.unlock();
    // The attributes first (a small file's data comes with them), so that the reader's
    // lookup finds them known; then the blocks, a few MiB per GET.
    auto object = names_.Warm(path);
    lock.lock();
    if (generation != generation_) continue;
    if (!object.ok()) {
      ++stats_.failures;
      spdlog::debug("prefetch {}: {}", path, object.status().ToString());
      continue;
    }
    sizes_[index] = object->size;
    if (index < position_) continue;  // the reader got there first
    ahead_bytes_ += object->size;
    lock.unlock();
    Status st;
    const uint64_t blocks = (object->size + reader_.block_size() - 1) / reader_.block_size();
    const uint64_t run = std::max<uint64_t>(1, (uint64_t{8} << 20) / reader_.block_size());
    // A file cached whole is left alone: readying its blocks would read them from disk while
    // the reader likely finds them in the page cache.
    bool cached = true;
    for (uint64_t b = 0; b < blocks && cached; ++b) cached = reader_.Cached(*object, b);
    for (uint64_t b = 0; b < blocks && st.ok() && !cached; b += run) {
      st = reader_.LoadRun(*object, b, run);
    }
    lock.lock();
    if (generation != generation_) continue;
    if (st.ok()) {
      ++stats_.loaded_files;
      stats_.loaded_bytes += object->size;
    } else {
      ++stats_.failures;
      spdlog::warn("prefetch s3://{}/{}: {}", object->bucket, object->key, st.ToString());
    }
  }
}

OrderedPrefetchStats OrderedPrefetch::stats() {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace ferry::fs
