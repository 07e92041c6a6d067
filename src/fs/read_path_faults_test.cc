// The mount's read path when the store misbehaves: errors, short reads, latency, an object
// replaced under a reader. Over MemoryStore wrapped in a FaultyStore: no network, no FUSE.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <thread>
#include <vector>

#include "cache/block_cache.h"
#include "fs/block_reader.h"
#include "fs/errno_of.h"
#include "s3/errors.h"
#include "testing/faulty_store.h"
#include "testing/memory_store.h"
#include "testing/store_test_util.h"

namespace ferry::fs {
namespace {

using ferry::testing::FaultRule;
using ferry::testing::StoreCall;

constexpr uint64_t kBlock = 64 << 10;

class ReadPathFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(memory_.CreateBucket("bkt").ok());
    cache::BlockCacheOptions o;
    o.dir = cache_dir_.path();
    o.capacity_bytes = 16 << 20;
    auto c = cache::BlockCache::Open(o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cache_ = std::move(c).value();
  }

  ObjectVersion Put(const std::string& key, const std::string& body) {
    auto meta = ferry::testing::Put(memory_, "bkt", key, body);
    EXPECT_TRUE(meta.ok()) << meta.status().ToString();
    return {"bkt", key, meta.ok() ? meta->etag : "", body.size()};
  }

  std::string ReadAll(BlockReader& reader, const ObjectVersion& v, Status* failed = nullptr) {
    std::string out(v.size, '\0');
    auto n = reader.Read(v, 0, std::span<char>(out));
    if (!n.ok()) {
      if (failed) *failed = n.status();
      return "";
    }
    out.resize(*n);
    return out;
  }

  ferry::testing::MemoryStore memory_;
  ferry::testing::FaultyStore store_{memory_};
  ferry::testing::TempDir cache_dir_;
  std::unique_ptr<cache::BlockCache> cache_;
};

TEST_F(ReadPathFaults, AFailedFetchFailsTheReadAndLeavesNothingBehind) {
  const std::string body = ferry::testing::Bytes(3 * kBlock + 10, 1);
  const ObjectVersion v = Put("f", body);
  store_.Add({.call = StoreCall::kRead,
              .error = s3err::SlowDown("Reduce your request rate."),
              .times = 1});
  BlockReader reader(store_, *cache_, kBlock);
  Status failed;
  EXPECT_EQ(ReadAll(reader, v, &failed), "");
  EXPECT_EQ(ErrnoOf(failed), EIO) << failed.ToString();
  // Nothing wrong was kept: the next read fetches again and is exact.
  EXPECT_EQ(ReadAll(reader, v), body);
  EXPECT_EQ(ReadAll(reader, v), body);
}

TEST_F(ReadPathFaults, ShortReadsFromTheStoreStillFillEveryBlock) {
  const std::string body = ferry::testing::Bytes(5 * kBlock + 77, 2);
  const ObjectVersion v = Put("short", body);
  store_.Add({.call = StoreCall::kRead, .short_read = 1000});
  BlockReader reader(store_, *cache_, kBlock);
  EXPECT_EQ(ReadAll(reader, v), body);
  // And what went to the cache is whole: a reader over another memory reads it back.
  BlockReader again(store_, *cache_, kBlock);
  store_.Add({.call = StoreCall::kOpenObject, .error = Status::Internal("no store reads")});
  EXPECT_EQ(ReadAll(again, v), body);
}

TEST_F(ReadPathFaults, AnObjectReplacedUnderAReaderIsStaleNotBroken) {
  const std::string body = ferry::testing::Bytes(2 * kBlock, 3);
  const ObjectVersion v = Put("replaced", body);
  BlockReader reader(store_, *cache_, kBlock);
  Put("replaced", ferry::testing::Bytes(2 * kBlock, 4));  // the listing still names v
  Status failed;
  EXPECT_EQ(ReadAll(reader, v, &failed), "");
  EXPECT_EQ(failed.code(), Status::Code::kPreconditionFailed) << failed.ToString();
  EXPECT_EQ(ErrnoOf(failed), ESTALE);
  // A store that finds out only while reading (pinned ranged GETs) says the same.
  const ObjectVersion w = Put("pinned", body);
  store_.Add({.call = StoreCall::kRead, .key_prefix = "pinned", .replaced = true});
  EXPECT_EQ(ReadAll(reader, w, &failed), "");
  EXPECT_EQ(ErrnoOf(failed), ESTALE) << failed.ToString();
}

TEST_F(ReadPathFaults, SlowFetchesAreSharedByTheReadersWaitingForThem) {
  const std::string body = ferry::testing::Bytes(4 * kBlock, 5);
  const ObjectVersion v = Put("slow", body);
  store_.Add({.call = StoreCall::kOpenObject, .delay = std::chrono::milliseconds(200)});
  BlockReader reader(store_, *cache_, kBlock);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      if (ReadAll(reader, v) != body) ++wrong;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(reader.stats().fetches, 4u) << "each block fetched once however many wait";
}

}  // namespace
}  // namespace ferry::fs
