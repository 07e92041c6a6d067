#include "fs/attribute_cache.h"

#include <gtest/gtest.h>

#include "fs/read_path_fixture.h"

namespace ferry::fs {
namespace {

class AttributeCacheTest : public ReadPathFixture {
 protected:
  const ObjectVersion object_{"bkt", "dir/file.bin", "0123abcd", 5};
  static constexpr int64_t kListedAt = 1'800'000'000'123'000'000;
};

ObjectMeta Meta() {
  ObjectMeta meta;
  meta.etag = "0123abcd";
  meta.size = 5;
  meta.headers.user_metadata = {{"file-permissions", "0100640"}, {"file-owner", "42"}};
  return meta;
}

TEST_F(AttributeCacheTest, SavedMetadataOutlivesTheCacheBeingReopened) {
  {
    AttributeCache attributes(*cache_);
    EXPECT_FALSE(attributes.Load(object_, kListedAt));
    attributes.Save(object_, kListedAt, Meta());
  }
  OpenCache();
  AttributeCache attributes(*cache_);
  auto loaded = attributes.Load(object_, kListedAt);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->etag, "0123abcd");
  EXPECT_EQ(loaded->size, 5u);
  EXPECT_EQ(loaded->headers.user_metadata, Meta().headers.user_metadata);
  // Not the object's data: its cached bytes stay 0, and the cache's statistics count no block,
  // hit or miss for it.
  EXPECT_EQ(cache_->CachedBytes("bkt/dir/file.bin", "0123abcd"), 0u);
  EXPECT_FALSE(attributes.Load(object_, kListedAt + 1));
  const auto stats = cache_->stats();
  EXPECT_EQ(stats.blocks, 0u);
  EXPECT_EQ(stats.hits, 0u);
  EXPECT_EQ(stats.misses, 0u);
}

TEST_F(AttributeCacheTest, LargeMetadataIsReadWhole) {
  AttributeCache attributes(*cache_);
  ObjectMeta meta = Meta();
  for (int i = 0; i < 100; ++i)
    meta.headers.user_metadata["key-" + std::to_string(i)] = "v" + std::string(60, 'x');
  attributes.Save(object_, kListedAt, meta);
  auto loaded = attributes.Load(object_, kListedAt);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->headers.user_metadata, meta.headers.user_metadata);
}

TEST_F(AttributeCacheTest, AnotherVersionFindsNothing) {
  AttributeCache attributes(*cache_);
  attributes.Save(object_, kListedAt, Meta());
  // Same ETag, another Last-Modified: the metadata was replaced by a copy onto itself.
  EXPECT_FALSE(attributes.Load(object_, kListedAt + 1'000'000'000));
  ObjectVersion rewritten = object_;
  rewritten.etag = "ffff0000";
  EXPECT_FALSE(attributes.Load(rewritten, kListedAt));
  // Released with the object's blocks.
  cache_->Release("bkt/dir/file.bin");
  EXPECT_FALSE(attributes.Load(object_, kListedAt));
}

}  // namespace
}  // namespace ferry::fs
