#include "core/md5_batcher.h"

#include <chrono>
#include <cstring>

namespace ferry {

class BatchedMd5Hasher final : public Hasher {
 public:
  explicit BatchedMd5Hasher(Md5Batcher& batcher) : batcher_(batcher) { batcher_.StreamOpened(); }
  ~BatchedMd5Hasher() override {
    if (!finished_) batcher_.StreamClosed();
  }

  void Update(std::span<const char> data) override {
    auto p = reinterpret_cast<const unsigned char*>(data.data());
    size_t n = data.size();
    total_ += n;
    if (tail_len_ > 0) {
      size_t take = std::min(n, sizeof tail_ - tail_len_);
      std::memcpy(tail_ + tail_len_, p, take);
      tail_len_ += take;
      p += take;
      n -= take;
      if (tail_len_ < sizeof tail_) return;
      Hash(tail_, 1);
      tail_len_ = 0;
    }
    if (n >= 64) {
      Hash(p, n / 64);
      p += n / 64 * 64;
      n %= 64;
    }
    std::memcpy(tail_, p, n);
    tail_len_ = n;
  }

  std::string Finish() override {
    if (!finished_) batcher_.StreamClosed();
    finished_ = true;
    return Md5Finish(state_, std::span<const unsigned char>(tail_, tail_len_), total_);
  }

 private:
  void Hash(const unsigned char* p, size_t blocks) {
    if (blocks * 64 < Md5Batcher::kMinBatchedBytes) {
      const Md5Lane lane{&state_, p, blocks};
      Md5Blocks({&lane, 1}, Md5Engine::kScalar);
    } else {
      batcher_.Blocks(state_, p, blocks);
    }
  }

  Md5Batcher& batcher_;
  Md5State state_;
  unsigned char tail_[64];
  size_t tail_len_ = 0;
  uint64_t total_ = 0;
  bool finished_ = false;
};

void Md5Batcher::StreamOpened() {
  std::lock_guard lock(mu_);
  ++open_streams_;
}

void Md5Batcher::StreamClosed() {
  std::lock_guard lock(mu_);
  --open_streams_;
}

Md5Batcher::Md5Batcher(Md5Engine engine) : engine_(engine) {}

std::unique_ptr<Hasher> Md5Batcher::NewHasher() {
  return std::make_unique<BatchedMd5Hasher>(*this);
}

void Md5Batcher::Blocks(Md5State& state, const unsigned char* data, size_t blocks) {
  Request mine{{&state, data, blocks}};
  if (Md5LaneWidth(engine_) == 1) {
    Md5Blocks({&mine.lane, 1}, engine_);
    return;
  }
  std::unique_lock lock(mu_);
  queue_.push_back(&mine);
  arrival_cv_.notify_one();
  while (!mine.done) {
    if (combining_) {
      done_cv_.wait(lock);
      continue;
    }
    combining_ = true;
    const auto gather_until =
        std::chrono::steady_clock::now() + std::chrono::microseconds(kGatherMicros);
    while (queue_.size() < kGatherLanes && open_streams_ > queue_.size() &&
           arrival_cv_.wait_until(lock, gather_until) != std::cv_status::timeout) {
    }
    std::vector<Request*> batch;
    batch.swap(queue_);
    lock.unlock();
    std::vector<Md5Lane> lanes;
    lanes.reserve(batch.size());
    for (const Request* r : batch) lanes.push_back(r->lane);
    Md5Blocks(lanes, engine_);
    lock.lock();
    for (Request* r : batch) r->done = true;
    combining_ = false;
    // Wakes the owners of this batch, and lets one of the threads still queued combine next.
    done_cv_.notify_all();
  }
}

}  // namespace ferry
