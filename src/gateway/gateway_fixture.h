// The gateway over an in-memory store behind a FaultyStore, with helpers that write and
// read files as a program would and put objects as another client would. For the gateway's
// unit tests only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "cache/block_cache.h"
#include "gateway/gateway.h"
#include "testing/faulty_store.h"
#include "testing/memory_store.h"
#include "testing/store_test_util.h"

namespace ferry::gateway {

using testing::FaultyStore;
using testing::StoreCall;

inline constexpr uint64_t MiB = 1 << 20;
inline constexpr int64_t kDrain = int64_t{20} * 1'000'000'000;

// Polls done for up to five seconds.
inline bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

inline std::string Pattern(size_t n, char seed) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(seed + (i * 7) % 13);
  return out;
}

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(memory_.CreateBucket("bkt").ok());
    cache::BlockCacheOptions c;
    c.dir = dir_.path() + "/blocks";
    c.capacity_bytes = 256 * MiB;
    auto cache = cache::BlockCache::Open(c);
    ASSERT_TRUE(cache.ok()) << cache.status().ToString();
    cache_ = std::move(cache).value();
    reader_ = std::make_unique<fs::BlockReader>(store_, *cache_, MiB);
    Start();
  }

  void Start(uint64_t max_dirty = uint64_t{8} << 30) {
    GatewayOptions o;
    o.max_dirty_bytes = max_dirty;
    o.bucket = "bkt";
    o.prefix = "share/";
    o.state_dir = dir_.path() + "/state";
    o.settle_ns = 0;
    o.part_size = 5 * MiB;
    o.multipart_threshold = 10 * MiB;
    o.uid = 1000;
    o.gid = 1000;
    auto g = Gateway::Open(store_, *reader_, o);
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    gw_ = std::move(g).value();
  }
  void Restart() {
    gw_.reset();
    Start();
  }

  void PutObject(const std::string& key, const std::string& body) {
    ASSERT_TRUE(testing::Put(memory_, "bkt", key, body).ok());
  }
  // An object uploaded in parts of part_size, as another client would.
  void PutMultipartObject(const std::string& key, const std::string& body, uint64_t part_size) {
    auto up = memory_.CreateMultipartUpload({"bkt", key});
    ASSERT_TRUE(up.ok());
    std::vector<CompletedPart> parts;
    for (uint64_t off = 0; off < body.size(); off += part_size) {
      const int number = static_cast<int>(off / part_size) + 1;
      auto w = memory_.UploadPart({"bkt", key, up->upload_id, number});
      ASSERT_TRUE(w.ok());
      const size_t n = static_cast<size_t>(std::min<uint64_t>(part_size, body.size() - off));
      ASSERT_TRUE((*w)->Append(std::span<const char>(body.data() + off, n)).ok());
      auto done = (*w)->Commit();
      ASSERT_TRUE(done.ok());
      parts.push_back({number, done->etag, ""});
    }
    ASSERT_TRUE(memory_.CompleteMultipartUpload({"bkt", key, up->upload_id, parts}).ok());
  }
  std::string Object(const std::string& key) {
    auto body = testing::ReadAll(memory_, "bkt", key);
    return body.ok() ? *body : "<" + body.status().ToString() + ">";
  }
  bool Exists(const std::string& key) { return memory_.HeadObject("bkt", key).ok(); }

  // Writes a whole file as a program would: create, write, close.
  uint64_t WriteFile(uint64_t dir, const std::string& name, const std::string& body) {
    auto made = gw_->CreateAndOpenFile(dir, name, 0640, 1000, 1000);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (!made.ok()) return 0;
    const uint64_t h = made->second;
    EXPECT_TRUE(gw_->Write(h, 0, std::span<const char>(body.data(), body.size())).ok());
    EXPECT_TRUE(gw_->Flush(h).ok());
    gw_->Release(h);
    return made->first.ino;
  }
  std::string ReadFile(uint64_t ino) {
    auto a = gw_->GetAttributes(ino);
    EXPECT_TRUE(a.ok());
    auto h = gw_->OpenFile(ino, false);
    EXPECT_TRUE(h.ok());
    std::string out(a->size, '\0');
    auto n = gw_->Read(*h, 0, std::span<char>(out));
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    gw_->Release(*h);
    out.resize(n.ok() ? *n : 0);
    return out;
  }
  void Drain() {
    Status st = gw_->Drain(kDrain);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  testing::TempDir dir_;
  testing::MemoryStore memory_;
  FaultyStore store_{memory_};
  std::unique_ptr<cache::BlockCache> cache_;
  std::unique_ptr<fs::BlockReader> reader_;
  std::unique_ptr<Gateway> gw_;
};

}  // namespace ferry::gateway
