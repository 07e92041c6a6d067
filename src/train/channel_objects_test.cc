#include "train/channel_objects.h"

#include <gtest/gtest.h>

#include <set>

#include "testing/store_test_util.h"

namespace ferry::train {
namespace {

class ChannelObjectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(ferry::testing::Put(*fixture_.store, "bkt", "data/f" + std::to_string(i),
                                      std::string(i + 1, 'x'))
                      .ok());
    }
    ASSERT_TRUE(ferry::testing::Put(*fixture_.store, "bkt", "data/sub/", "").ok());  // marker
    ASSERT_TRUE(ferry::testing::Put(*fixture_.store, "bkt", "datax", "not in the channel").ok());
  }
  ChannelSpec Channel(const std::string& uri) {
    ChannelSpec c;
    c.name = "train";
    c.source = *transfer::ParseLocation(uri);
    return c;
  }
  ferry::testing::StoreFixture fixture_;
};

TEST_F(ChannelObjectsTest, ListsThePrefixAndShardsByKey) {
  TrainSpec spec;
  auto all = ListChannel(*fixture_.store, spec, Channel("s3://bkt/data"));
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->objects.size(), 10u);
  EXPECT_EQ(all->objects[0].relative, "f0");
  EXPECT_EQ(all->bytes, 55u);
  spec.distribution = Distribution::kShardedByKey;
  spec.world = 3;
  std::set<std::string> seen;
  size_t total = 0;
  for (uint64_t rank = 0; rank < 3; ++rank) {
    spec.rank = rank;
    auto mine = ListChannel(*fixture_.store, spec, Channel("s3://bkt/data/"));
    ASSERT_TRUE(mine.ok());
    for (const auto& o : mine->objects) seen.insert(o.key);
    total += mine->objects.size();
  }
  EXPECT_EQ(total, 10u) << "every object exactly once";
  EXPECT_EQ(seen.size(), 10u);
  auto missing = ListChannel(*fixture_.store, TrainSpec{}, Channel("s3://bkt/nothing/"));
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
}

TEST_F(ChannelObjectsTest, ReadsAManifest) {
  ASSERT_TRUE(ferry::testing::Put(*fixture_.store, "bkt", "m.json",
                                  R"([{"prefix": "s3://bkt/data/"}, "f3", "f1"])")
                  .ok());
  ChannelSpec c = Channel("s3://bkt/data");
  c.manifest = *transfer::ParseLocation("s3://bkt/m.json");
  auto listed = ListChannel(*fixture_.store, TrainSpec{}, c);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->objects.size(), 2u);
  EXPECT_EQ(listed->objects[0].key, "data/f1");
  EXPECT_EQ(listed->objects[1].relative, "f3");
  EXPECT_FALSE(ParseManifest("{}").ok());
  EXPECT_FALSE(ParseManifest(R"([{"prefix": "s3://b/p/"}, 3])").ok());
}

TEST(AugmentedManifest, LinesBecomeRecords) {
  auto items = ParseAugmentedManifest(
      "{\"source-ref\": \"s3://bkt/img/1.jpg\", \"class\": 3, \"x\": 1}\n\n"
      "{\"source-ref\": \"s3://other/2.jpg\", \"class\": \"cat\"}\n",
      {"source-ref", "class"});
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 2u);
  const auto& first = (*items)[0].records;
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].bucket, "bkt");
  EXPECT_EQ(first[0].key, "img/1.jpg");
  EXPECT_EQ(first[1].value, "3");
  EXPECT_EQ((*items)[1].records[1].value, "cat");
  EXPECT_LT((*items)[0].key, (*items)[1].key) << "line order is key order";
  auto missing = ParseAugmentedManifest("{\"a\": 1}\n", {"b"});
  EXPECT_NE(missing.status().message().find("line 1"), std::string::npos);
  EXPECT_FALSE(ParseAugmentedManifest("not json\n", {"a"}).ok());
}

}  // namespace
}  // namespace ferry::train
