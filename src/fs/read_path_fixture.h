// Test-only: a LocalStore with the bucket "bkt" and an empty block cache, for tests of the
// mount's read path.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cache/block_cache.h"
#include "fs/block_reader.h"
#include "testing/store_test_util.h"

namespace ferry::fs {

class ReadPathFixture : public ::testing::Test {
 protected:
  void SetUp() override { OpenCache(); }

  // Opens the cache directory (again: as a restarted mount would).
  void OpenCache() {
    cache_.reset();
    cache::BlockCacheOptions o;
    o.dir = cache_dir_.path();
    o.capacity_bytes = 64 << 20;
    auto c = cache::BlockCache::Open(o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cache_ = std::move(c).value();
  }

  // Stores body at key; the version a reader of it names.
  ObjectVersion PutObject(const std::string& key, const std::string& body) {
    auto meta = ferry::testing::Put(*fixture_.store, "bkt", key, body);
    EXPECT_TRUE(meta.ok()) << meta.status().ToString();
    return {"bkt", key, meta.ok() ? meta->etag : "", body.size()};
  }

  ferry::testing::StoreFixture fixture_;
  ferry::testing::TempDir cache_dir_;
  std::unique_ptr<cache::BlockCache> cache_;
};

}  // namespace ferry::fs
