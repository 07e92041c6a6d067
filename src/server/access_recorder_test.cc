#include "server/access_recorder.h"

#include <gtest/gtest.h>

#include "testing/store_test_util.h"

namespace ferry::server {
namespace {

constexpr int64_t kDay = int64_t{86400} * 1'000'000'000;

class AccessRecorderTest : public ::testing::Test {
 protected:
  AccessRecorderTest()
      : clock_(SystemClock().NowNanos() + 2 * kDay),
        recorder_(*f_.store, {.clock = &clock_, .day_ns = kDay}) {}

  ObjectMeta PutObject(const std::string& key, const std::string& storage_class) {
    PutObjectRequest req;
    req.headers.storage_class = storage_class;
    auto put = testing::Put(*f_.store, "bkt", key, "body", req);
    EXPECT_TRUE(put.ok()) << put.status().ToString();
    return Head(key);
  }
  ObjectMeta Head(const std::string& key) {
    auto head = f_.store->HeadObject("bkt", key);
    EXPECT_TRUE(head.ok()) << head.status().ToString();
    return head.ok() ? *head : ObjectMeta{};
  }

  testing::StoreFixture f_;
  ManualClock clock_;
  AccessRecorder recorder_;
};

TEST_F(AccessRecorderTest, ReadsOfIntelligentTieringObjectsAreWrittenOnceADay) {
  ObjectMeta tiered = PutObject("tiered", "INTELLIGENT_TIERING");
  ObjectMeta standard = PutObject("standard", "");
  for (int i = 0; i < 3; ++i) {
    recorder_.Record("bkt", tiered);  // read three times before the flush: written once
    recorder_.Record("bkt", standard);
  }
  EXPECT_EQ(recorder_.Flush(), 1u);
  tiered = Head("tiered");
  EXPECT_EQ(tiered.headers.last_access_ns, clock_.NowNanos());
  EXPECT_EQ(Head("standard").headers.last_access_ns, 0);
  // Read again within the day: nothing to write.
  clock_.Advance(kDay / 2);
  recorder_.Record("bkt", tiered);
  EXPECT_EQ(recorder_.Flush(), 0u);
  clock_.Advance(kDay);
  recorder_.Record("bkt", tiered);
  EXPECT_EQ(recorder_.Flush(), 1u);
  EXPECT_EQ(Head("tiered").headers.last_access_ns, clock_.NowNanos());
}

TEST_F(AccessRecorderTest, AVersionReplacedOrArchivedMeanwhileIsLeftAlone) {
  ObjectMeta replaced = PutObject("replaced", "INTELLIGENT_TIERING");
  recorder_.Record("bkt", replaced);
  ASSERT_TRUE(testing::Put(*f_.store, "bkt", "replaced", "other body").ok());
  ObjectMeta archived = PutObject("archived", "INTELLIGENT_TIERING");
  recorder_.Record("bkt", archived);
  ASSERT_TRUE(f_.store
                  ->EditObjectVersion("bkt", "archived", "",
                                      [](ObjectHeaders& h) {
                                        h.archive_access_tier = "ARCHIVE_ACCESS";
                                        return Status::OK();
                                      })
                  .ok());
  EXPECT_EQ(recorder_.Flush(), 0u);
  EXPECT_EQ(Head("replaced").headers.last_access_ns, 0);
  EXPECT_EQ(Head("archived").headers.last_access_ns, 0);
}

}  // namespace
}  // namespace ferry::server
