#include "core/buffer_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace ferry {
namespace {

TEST(BufferPool, ReusesReturnedBuffersAndBoundsWhatItKeeps) {
  auto pool = BufferPool::Create(size_t{2} << 20);
  char* first;
  {
    auto a = pool->Get(1 << 20);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(a.get()) % 4096, 0u);
    std::memset(a.get(), 1, 1 << 20);
    first = a.get();
  }
  EXPECT_EQ(pool->idle_bytes(), size_t{1} << 20);
  auto b = pool->Get((1 << 20) - 100);  // the same size class
  EXPECT_EQ(b.get(), first);
  EXPECT_EQ(pool->idle_bytes(), 0u);
  {
    // Three buffers of 1 MiB come back; only two fit the bound.
    auto c = pool->Get(1 << 20), d = pool->Get(1 << 20), e = pool->Get(1 << 20);
  }
  EXPECT_EQ(pool->idle_bytes(), size_t{2} << 20);
}

TEST(BufferPool, BuffersOutliveThePoolHandle) {
  auto pool = BufferPool::Create(size_t{1} << 20);
  const std::weak_ptr<BufferPool> weak = pool;
  auto a = pool->Get(100);
  pool.reset();
  EXPECT_FALSE(weak.expired()) << "the buffer keeps the pool alive";
  std::memset(a.get(), 2, 100);
  a.reset();
  EXPECT_TRUE(weak.expired()) << "and the last buffer lets it go";
}

}  // namespace
}  // namespace ferry
