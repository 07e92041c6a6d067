// Turns a walker that pushes entries (a callback per entry) into a stream the caller pulls
// from, so two trees can be merged in key order. The walker runs on a thread the stream owns,
// filling a bounded queue; destroying the stream stops the walker and joins the thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "sync/entry.h"

namespace ferry::sync {

class EntryStream {
 public:
  // walk calls emit for each entry in order and returns the walk's outcome; emit returns
  // Cancelled once the stream is being destroyed.
  using Emit = std::function<Status(const Entry&)>;
  explicit EntryStream(std::function<Status(const Emit&)> walk, size_t capacity = 4096);
  ~EntryStream();
  EntryStream(const EntryStream&) = delete;
  EntryStream& operator=(const EntryStream&) = delete;

  // The next entry, or nullopt at the end (then status() tells whether the walk succeeded).
  std::optional<Entry> Next();
  Status status();

 private:
  Status Push(const Entry& e);

  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry> queue_;  // guarded by mu_
  bool done_ = false;        // guarded by mu_
  bool cancelled_ = false;   // guarded by mu_
  Status status_;            // guarded by mu_
  std::thread thread_;       // last: started once the rest is ready
};

}  // namespace ferry::sync
