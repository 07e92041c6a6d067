// Md5Batcher: hashes the bodies of concurrent uploads together, one per SIMD lane.
//
// Each connection thread hashes its own body, and one MD5 cannot go faster than ~0.75 GB/s
// per core; but while one thread computes, others have bodies waiting. A thread with whole
// blocks to hash queues them and, if no thread is combining, becomes the combiner: it takes
// every queued request, runs them through md5_lanes side by side, wakes their owners, and
// hands the combiner role on once its own request is done ("flat combining"). A request
// alone runs on the scalar path with no wait. Small updates never queue.
//
// Thread-safe. The owner (the store) outlives every hasher it made.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "core/checksum.h"
#include "core/md5_lanes.h"

namespace ferry {

class Md5Batcher {
 public:
  explicit Md5Batcher(Md5Engine engine = BestMd5Engine());

  // Advances state over `blocks` whole 64-byte blocks at data, in a batch with whatever other
  // threads queue meanwhile. Returns when done.
  void Blocks(Md5State& state, const unsigned char* data, size_t blocks);

  // A streaming MD5 Hasher whose bulk goes through this batcher (the digest is the same as
  // NewHasher(DigestKind::kMd5)'s).
  std::unique_ptr<Hasher> NewHasher();

  // Updates smaller than this are hashed by the calling thread at once.
  static constexpr size_t kMinBatchedBytes = 4096;
  // A combiner with fewer lanes than this waits up to kGatherMicros for streams still open
  // elsewhere to queue theirs (the threads that would bring them need the core it would spin
  // on); a vector with one or two lanes costs as much as the scalar path.
  static constexpr size_t kGatherLanes = 3;
  static constexpr int kGatherMicros = 150;

 private:
  struct Request {
    Md5Lane lane;
    bool done = false;
  };

  const Md5Engine engine_;
  friend class BatchedMd5Hasher;
  void StreamOpened();
  void StreamClosed();

  std::mutex mu_;
  std::condition_variable done_cv_;
  std::condition_variable arrival_cv_;
  std::vector<Request*> queue_;  // guarded by mu_
  bool combining_ = false;       // guarded by mu_
  size_t open_streams_ = 0;      // guarded by mu_: hashers made and not finished
};

}  // namespace ferry
