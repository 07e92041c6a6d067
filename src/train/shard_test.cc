#include "train/shard.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace ferry::train {
namespace {

TEST(ResolveRank, FlagsThenLaunchers) {
  auto flags = ResolveRank({"algo-1", "algo-2", "algo-3"}, "algo-2", {{"RANK", "0"}});
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->rank, 1u);
  EXPECT_EQ(flags->world, 3u);
  EXPECT_FALSE(ResolveRank({"algo-1"}, "algo-9", {}).ok());
  auto torchrun = ResolveRank({}, "", {{"RANK", "3"}, {"WORLD_SIZE", "4"}});
  ASSERT_TRUE(torchrun.ok());
  EXPECT_EQ(torchrun->rank, 3u);
  EXPECT_EQ(torchrun->source, "torchrun");
  auto slurm = ResolveRank({}, "", {{"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "2"}});
  ASSERT_TRUE(slurm.ok());
  EXPECT_EQ(slurm->world, 2u);
  EXPECT_EQ(slurm->source, "slurm");
  EXPECT_FALSE(ResolveRank({}, "", {{"RANK", "4"}, {"WORLD_SIZE", "4"}}).ok());
  auto single = ResolveRank({}, "", {{"RANK", "x"}, {"WORLD_SIZE", "2"}});
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->world, 1u);
}

TEST(EpochOrder, SeededPermutationsDifferPerEpochAndRepeat) {
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i) keys.push_back("k" + std::to_string(100 + i));
  EXPECT_EQ(EpochOrder(keys, std::nullopt, 3), keys);
  auto e0 = EpochOrder(keys, 7, 0);
  auto e1 = EpochOrder(keys, 7, 1);
  EXPECT_NE(e0, keys);
  EXPECT_NE(e0, e1);
  EXPECT_EQ(e0, EpochOrder(keys, 7, 0));
  std::sort(e1.begin(), e1.end());
  EXPECT_EQ(e1, keys) << "a permutation";
}

}  // namespace
}  // namespace ferry::train
