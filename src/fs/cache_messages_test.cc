#include "fs/cache_messages.h"

#include <gtest/gtest.h>

namespace ferry::fs {
namespace {

TEST(CacheMessages, EveryOperationHasOneName) {
  for (CacheOp op : {CacheOp::kLoad, CacheOp::kRelease, CacheOp::kStatus, CacheOp::kStats,
                     CacheOp::kRefresh, CacheOp::kPrefetch}) {
    auto back = ParseCacheOp(CacheOpName(op));
    ASSERT_TRUE(back.has_value()) << CacheOpName(op);
    EXPECT_EQ(*back, op);
  }
  EXPECT_FALSE(ParseCacheOp("laod").has_value());
}

TEST(CacheMessages, RequestsSurviveTheSocket) {
  CacheRequest release{.op = CacheOp::kRelease, .path = "a/b", .older_than_s = 3600};
  auto back = DecodeRequest(EncodeRequest(release));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->op, CacheOp::kRelease);
  EXPECT_EQ(back->path, "a/b");
  EXPECT_EQ(back->older_than_s, 3600);
  EXPECT_FALSE(back->recursive);

  CacheRequest prefetch{.op = CacheOp::kPrefetch, .path = "d", .paths = {"d/1", "d/2"}};
  back = DecodeRequest(EncodeRequest(prefetch));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->paths, prefetch.paths);
}

TEST(CacheMessages, MalformedRequestsAreRefusedWithAReason) {
  EXPECT_EQ(DecodeRequest(nlohmann::json::array()).status().code(), Status::Code::kInvalidArgument);
  auto unknown = DecodeRequest({{"op", "laod"}});
  EXPECT_NE(unknown.status().message().find("unknown request \"laod\""), std::string::npos);
  EXPECT_FALSE(DecodeRequest({{"op", "prefetch"}}).ok()) << "no paths";
  EXPECT_FALSE(DecodeRequest({{"op", "prefetch"}, {"paths", {"a", 1}}}).ok());
  EXPECT_FALSE(DecodeRequest({{"op", "release"}, {"older_than_s", "soon"}}).ok());
}

TEST(CacheMessages, AnswersComeBackAsTheTypeOfTheirOperation) {
  LoadAnswer load{.files = 2, .total_bytes = 10, .loaded_bytes = 7, .refused = 1};
  auto back = DecodeAnswer(CacheOp::kLoad, EncodeAnswer(load));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const auto* got = std::get_if<LoadAnswer>(&*back);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->files, 2u);
  EXPECT_EQ(got->total_bytes, 10u);
  EXPECT_EQ(got->loaded_bytes, 7u);
  EXPECT_EQ(got->refused, 1u);

  StatusAnswer status{.files = {{.path = "x", .size = 5, .cached_bytes = 3}}};
  back = DecodeAnswer(CacheOp::kStatus, EncodeAnswer(status));
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(std::get<StatusAnswer>(*back).files.size(), 1u);
  EXPECT_EQ(std::get<StatusAnswer>(*back).files[0].cached_bytes, 3u);

  StatsAnswer stats;
  stats.hits = 4;
  stats.prefetch.planned = 9;
  const nlohmann::json json = EncodeAnswer(stats);
  EXPECT_EQ(json["prefetch"]["planned"], 9) << "the keys `ferry cache stats --json` prints";
  back = DecodeAnswer(CacheOp::kStats, json);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<StatsAnswer>(*back).hits, 4u);
}

TEST(CacheMessages, FailuresAndBrokenAnswersAreErrors) {
  auto failed = DecodeAnswer(CacheOp::kLoad, EncodeFailure(Status::NotFound("a/b: gone")));
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("a/b: gone"), std::string::npos);
  EXPECT_FALSE(DecodeAnswer(CacheOp::kLoad, {{"files", "many"}}).ok());
  EXPECT_FALSE(DecodeAnswer(CacheOp::kLoad, nlohmann::json::array()).ok());
  auto progress = DecodeProgress({{"files", 1}, {"loaded_bytes", 2}});
  ASSERT_TRUE(progress.ok());
  EXPECT_EQ(progress->total_bytes, 0u) << "a field left out takes its default";
}

}  // namespace
}  // namespace ferry::fs
