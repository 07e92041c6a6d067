#include "fs/read_ahead.h"

#include <gtest/gtest.h>

#include "fs/read_path_fixture.h"

namespace ferry::fs {
namespace {

constexpr uint64_t kBlock = 64 << 10;

class ReadAheadTest : public ReadPathFixture {
 protected:
  void SetUp() override {
    ReadPathFixture::SetUp();
    body_ = ferry::testing::Bytes(20 * kBlock, 3);
    object_ = PutObject("stream.bin", body_);
    ASSERT_FALSE(object_.etag.empty());
    reader_ = std::make_shared<BlockReader>(*fixture_.store, *cache_, kBlock);
  }

  std::string body_;
  ObjectVersion object_;
  std::shared_ptr<BlockReader> reader_;
};

TEST_F(ReadAheadTest, SequentialReadsFindTheirBlocksLoaded) {
  ThreadPool pool(4);
  ReadAhead ahead(reader_, pool, object_, 8);
  std::string out(kBlock / 2, '\0');
  for (uint64_t off = 0; off < 6 * kBlock; off += out.size()) {
    ahead.OnRead(off, out.size());
    ASSERT_TRUE(reader_->Read(object_, off, std::span<char>(out)).ok());
    ASSERT_EQ(out, body_.substr(off, out.size()));
  }
  pool.WaitIdle();
  EXPECT_EQ(ahead.window_blocks(), 8u);
  // The reader stopped in block 5; blocks 6 to 14 (a window of 8 past the next) were loaded
  // ahead of it, and each block was fetched once.
  EXPECT_TRUE(cache_->Contains({"bkt/stream.bin", object_.etag, 14, kBlock}));
  EXPECT_FALSE(cache_->Contains({"bkt/stream.bin", object_.etag, 15, kBlock}));
  EXPECT_EQ(reader_->stats().fetches, 15u);
}

TEST_F(ReadAheadTest, SlightlyOutOfOrderReadsStaySequential) {
  ThreadPool pool(2);
  ReadAhead ahead(reader_, pool, object_, 8);
  // As the kernel's concurrent read-ahead requests arrive: pairs swapped.
  const uint64_t piece = kBlock / 4;
  for (uint64_t i = 0; i < 16; i += 2) {
    ahead.OnRead((i + 1) * piece, piece);
    ahead.OnRead(i * piece, piece);
  }
  pool.WaitIdle();
  EXPECT_EQ(ahead.window_blocks(), 8u);
  EXPECT_TRUE(cache_->Contains({"bkt/stream.bin", object_.etag, 12, kBlock}));
}

TEST_F(ReadAheadTest, RandomReadsLoadNothingAhead) {
  ThreadPool pool(2);
  ReadAhead ahead(reader_, pool, object_, 8);
  std::string out(1000, '\0');
  for (uint64_t off : {uint64_t{5} * kBlock, uint64_t{2} * kBlock + 17, uint64_t{17} * kBlock}) {
    ahead.OnRead(off, out.size());
    ASSERT_TRUE(reader_->Read(object_, off, std::span<char>(out)).ok());
  }
  pool.WaitIdle();
  EXPECT_EQ(ahead.window_blocks(), 0u);
  EXPECT_EQ(reader_->stats().fetches, 3u);
}

}  // namespace
}  // namespace ferry::fs
