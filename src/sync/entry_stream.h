// Turns a walker that pushes entries (a callback per entry) into a stream the caller pulls
// from, so two trees can be merged in key order. The walker runs on a thread the stream owns,
// filling a bounded queue; destroying the stream stops the walker and joins the thread.
//
// Entries cross between the threads in batches: one lock and at most one wake-up per batch,
// not per entry, which for a million-file tree is the difference between the walk and the
// scheduler being the cost.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "sync/entry.h"

namespace ferry::sync {

class EntryStream {
 public:
  // walk calls emit for each entry in order and returns the walk's outcome; emit returns
  // Cancelled once the stream is being destroyed. capacity bounds the entries queued.
  using Emit = std::function<Status(const Entry&)>;
  explicit EntryStream(std::function<Status(const Emit&)> walk, size_t capacity = 4096);
  ~EntryStream();
  EntryStream(const EntryStream&) = delete;
  EntryStream& operator=(const EntryStream&) = delete;

  // The next entry, or nullopt at the end (then status() tells whether the walk succeeded).
  std::optional<Entry> Next();
  Status status();

 private:
  using Batch = std::vector<Entry>;
  // Walker side: collects entries and hands them over a batch at a time.
  Status Push(const Entry& e);
  Status Flush();

  const size_t batch_size_;
  const size_t max_batches_;
  Batch filling_;  // the walker's own
  Batch taking_;   // the caller's own, read from taken_
  size_t taken_ = 0;

  std::mutex mu_;
  std::condition_variable not_empty_;  // the caller waits here
  std::condition_variable not_full_;   // the walker waits here
  std::deque<Batch> queue_;            // guarded by mu_
  bool done_ = false;                  // guarded by mu_
  bool cancelled_ = false;             // guarded by mu_
  Status status_;                      // guarded by mu_
  std::thread thread_;                 // last: started once the rest is ready
};

}  // namespace ferry::sync
