// BoundedCache: a small thread-safe map that forgets its oldest entries beyond a capacity.
// S3Store keeps listing continuation tokens and the checksum algorithm of open multipart
// uploads in it: losing an entry only costs a fallback, never correctness.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace ferry {

template <typename V>
class BoundedCache {
 public:
  explicit BoundedCache(size_t capacity) : capacity_(capacity) {}

  void Put(const std::string& key, V value) {
    std::lock_guard lock(mu_);
    auto [it, inserted] = map_.insert_or_assign(key, std::move(value));
    (void)it;
    if (inserted) order_.push_back(key);
    while (order_.size() > capacity_) {
      map_.erase(order_.front());
      order_.pop_front();
    }
  }
  std::optional<V> Get(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  void Erase(const std::string& key) {
    std::lock_guard lock(mu_);
    map_.erase(key);  // its place in order_ expires on its own
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::map<std::string, V> map_;   // guarded by mu_
  std::deque<std::string> order_;  // guarded by mu_: insertion order, for eviction
};

}  // namespace ferry
