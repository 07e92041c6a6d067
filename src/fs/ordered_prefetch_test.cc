#include "fs/ordered_prefetch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "fs/read_path_fixture.h"

namespace ferry::fs {
namespace {

constexpr uint64_t kBlock = 64 << 10;
constexpr uint64_t kFileBytes = 2 * kBlock + 100;

class OrderedPrefetchTest : public ReadPathFixture {
 protected:
  void SetUp() override {
    ReadPathFixture::SetUp();
    for (int i = 0; i < 20; ++i) {
      versions_.push_back(PutObject(Key(i), ferry::testing::Bytes(kFileBytes, i)));
    }
    NamespaceOptions o;
    o.bucket = "bkt";
    o.prefix = "data/";
    names_ = std::make_unique<Namespace>(*fixture_.store, o);
    reader_ = std::make_unique<BlockReader>(*fixture_.store, *cache_, kBlock);
  }
  static std::string Path(int i) {
    return "shard" + std::to_string(i % 2) + "/f" + std::to_string(i);
  }
  static std::string Key(int i) { return "data/" + Path(i); }
  bool Cached(int i) {
    return cache_->CachedBytes("bkt/" + Key(i), versions_[i].etag) == kFileBytes;
  }
  // Waits until the prefetch has nothing more it may load.
  void Settle(OrderedPrefetch& prefetch, uint64_t loaded) {
    for (int tries = 0; tries < 500 && prefetch.stats().loaded_files < loaded; ++tries) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // nothing beyond it either
  }

  std::vector<ObjectVersion> versions_;
  std::unique_ptr<Namespace> names_;
  std::unique_ptr<BlockReader> reader_;
};

TEST_F(OrderedPrefetchTest, LoadsAWindowAheadOfTheReaderInPlanOrder) {
  OrderedPrefetchOptions o;
  o.prefix = "data/";
  o.window_files = 4;
  o.workers = 2;
  OrderedPrefetch prefetch(*names_, *reader_, o);
  // A shuffled order, as a sampler gives it.
  const std::vector<int> order = {7, 3, 12, 0, 19, 5, 8, 1, 14, 2};
  std::vector<std::string> paths;
  for (int i : order) paths.push_back(Path(i));
  prefetch.SetOrder(paths);
  Settle(prefetch, 4);
  for (size_t k = 0; k < order.size(); ++k) {
    EXPECT_EQ(Cached(order[k]), k < 4) << "plan entry " << k;
  }
  EXPECT_EQ(prefetch.stats().loaded_files, 4u);

  // The reader opens the first two planned files: the window slides by two.
  prefetch.OnOpen(Key(7));
  prefetch.OnOpen(Key(3));
  Settle(prefetch, 6);
  EXPECT_TRUE(Cached(order[5]));
  EXPECT_FALSE(Cached(order[6]));
  // A file outside the plan moves nothing.
  prefetch.OnOpen(Key(4));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(prefetch.stats().loaded_files, 6u);
  // Jumping ahead (the reader overtook the prefetch) skips what it passed.
  prefetch.OnOpen(Key(order[8]));
  Settle(prefetch, 7);
  EXPECT_TRUE(Cached(order[9]));
  EXPECT_FALSE(Cached(order[6])) << "passed by the reader: not loaded any more";
  auto stats = prefetch.stats();
  EXPECT_EQ(stats.planned, order.size());
  EXPECT_EQ(stats.position, 9u);
  EXPECT_EQ(stats.failures, 0u);
}

TEST_F(OrderedPrefetchTest, ByteWindowAndRepeatedEpochs) {
  OrderedPrefetchOptions o;
  o.prefix = "data/";
  o.window_files = 100;
  o.window_bytes = 3 * kFileBytes;  // three files ahead at most
  o.workers = 1;
  OrderedPrefetch prefetch(*names_, *reader_, o);
  // Two epochs over four files.
  prefetch.SetOrder({Path(0), Path(1), Path(2), Path(3), Path(0), Path(1), Path(2), Path(3)});
  Settle(prefetch, 3);
  EXPECT_EQ(prefetch.stats().loaded_files, 3u);
  EXPECT_FALSE(Cached(3));
  prefetch.OnOpen(Key(0));
  prefetch.OnOpen(Key(1));
  Settle(prefetch, 5);
  EXPECT_TRUE(Cached(3));
  // Opening file 0 again is the second epoch's entry, not the first.
  prefetch.OnOpen(Key(2));
  prefetch.OnOpen(Key(3));
  prefetch.OnOpen(Key(0));
  EXPECT_EQ(prefetch.stats().position, 5u);
}

TEST_F(OrderedPrefetchTest, MissingPathsCountAsFailuresAndANewPlanReplacesTheOld) {
  OrderedPrefetchOptions o;
  o.prefix = "data/";
  o.workers = 2;
  OrderedPrefetch prefetch(*names_, *reader_, o);
  prefetch.SetOrder({"shard0/missing", Path(0), "shard0"});
  Settle(prefetch, 1);
  auto stats = prefetch.stats();
  EXPECT_EQ(stats.loaded_files, 1u);
  EXPECT_EQ(stats.failures, 2u) << "a missing file and a directory";
  prefetch.SetOrder({Path(5)});
  Settle(prefetch, 1);
  EXPECT_TRUE(Cached(5));
  EXPECT_EQ(prefetch.stats().planned, 1u);
}

}  // namespace
}  // namespace ferry::fs
