#include "s3/lifecycle_actions.h"

#include <gtest/gtest.h>

namespace ferry::s3 {
namespace {

constexpr int64_t kDay = 1000;  // a scaled day, as --lifecycle-day gives

LifecycleConfiguration Parse(const std::string& rules) {
  auto parsed =
      ParseLifecycleConfiguration("<LifecycleConfiguration>" + rules + "</LifecycleConfiguration>");
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : LifecycleConfiguration{};
}

LifecycleSubject Object(std::string_view key, uint64_t size, int64_t created) {
  LifecycleSubject s;
  s.key = key;
  s.size = size;
  s.created_ns = created;
  s.storage_class = "STANDARD";
  return s;
}

TEST(LifecycleActionsTest, TransitionsFallDueOnTheDayBoundaryAfterTheirDays) {
  auto config = Parse(
      "<Rule><ID>cold</ID><Filter><Prefix>ckpt/</Prefix></Filter><Status>Enabled</Status>"
      "<Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>");
  auto s = Object("ckpt/1", 1 << 20, 1500);
  // Created at 1.5 days: one day later is 2.5, rounded up to 3.
  EXPECT_EQ(DueAction(config, s, 2999, kDay).kind, LifecycleActionKind::kNone);
  auto due = DueAction(config, s, 3000, kDay);
  EXPECT_EQ(due.kind, LifecycleActionKind::kTransition);
  EXPECT_EQ(due.storage_class, "GLACIER");
  EXPECT_EQ(due.rule_id, "cold");
  EXPECT_EQ(DueAction(config, Object("data/1", 1 << 20, 1500), 9000, kDay).kind,
            LifecycleActionKind::kNone);
  // Already there, or colder: nothing to do.
  s.storage_class = "DEEP_ARCHIVE";
  EXPECT_EQ(DueAction(config, s, 9000, kDay).kind, LifecycleActionKind::kNone);
}

TEST(LifecycleActionsTest, SmallObjectsStayUnlessTheFilterBoundsTheSize) {
  auto plain = Parse(
      "<Rule><Filter/><Status>Enabled</Status>"
      "<Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>");
  EXPECT_EQ(DueAction(plain, Object("k", 1000, 0), 5000, kDay).kind, LifecycleActionKind::kNone);
  auto sized = Parse(
      "<Rule><Filter><ObjectSizeGreaterThan>0</ObjectSizeGreaterThan></Filter>"
      "<Status>Enabled</Status>"
      "<Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>");
  EXPECT_EQ(DueAction(sized, Object("k", 1000, 0), 5000, kDay).kind,
            LifecycleActionKind::kTransition);
}

TEST(LifecycleActionsTest, ExpirationWinsOverTransitionsAndTheColdestTransitionWins) {
  auto config = Parse(
      "<Rule><ID>a</ID><Filter/><Status>Enabled</Status>"
      "<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"
      "<Transition><Days>60</Days><StorageClass>DEEP_ARCHIVE</StorageClass></Transition></Rule>"
      "<Rule><ID>b</ID><Filter/><Status>Enabled</Status>"
      "<Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>"
      "<Rule><ID>c</ID><Filter/><Status>Enabled</Status><Expiration><Days>90</Days>"
      "</Expiration></Rule>");
  auto s = Object("k", 1 << 20, 0);
  EXPECT_EQ(DueAction(config, s, 30 * kDay, kDay).storage_class, "GLACIER");
  EXPECT_EQ(DueAction(config, s, 60 * kDay, kDay).storage_class, "DEEP_ARCHIVE");
  EXPECT_EQ(DueAction(config, s, 90 * kDay, kDay).kind, LifecycleActionKind::kExpire);
  EXPECT_EQ(DueAction(config, s, 90 * kDay, kDay).rule_id, "c");
}

TEST(LifecycleActionsTest, DisabledRulesAndTagFiltersSelectNothing) {
  auto config = Parse(
      "<Rule><Filter/><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
      "<Rule><Filter><Tag><Key>tmp</Key><Value>yes</Value></Tag></Filter>"
      "<Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>");
  EXPECT_TRUE(FiltersOnTags(config));
  auto s = Object("k", 10, 0);
  EXPECT_EQ(DueAction(config, s, 9000, kDay).kind, LifecycleActionKind::kNone);
  Tags tags = {{"tmp", "yes"}};
  s.tags = &tags;
  EXPECT_EQ(DueAction(config, s, 9000, kDay).kind, LifecycleActionKind::kExpire);
}

TEST(LifecycleActionsTest, NoncurrentVersionsCountFromTheirSuccessorAndKeepTheNewest) {
  auto config = Parse(
      "<Rule><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration>"
      "<NoncurrentDays>2</NoncurrentDays><NewerNoncurrentVersions>1</NewerNoncurrentVersions>"
      "</NoncurrentVersionExpiration></Rule>");
  auto s = Object("k", 10, 0);
  s.is_latest = false;
  s.noncurrent_since_ns = 3000;
  s.newer_noncurrent_versions = 1;
  EXPECT_EQ(DueAction(config, s, 4999, kDay).kind, LifecycleActionKind::kNone);
  EXPECT_EQ(DueAction(config, s, 5000, kDay).kind, LifecycleActionKind::kDeleteVersion);
  s.newer_noncurrent_versions = 0;  // the newest noncurrent version is kept
  EXPECT_EQ(DueAction(config, s, 9000, kDay).kind, LifecycleActionKind::kNone);
}

TEST(LifecycleActionsTest, ALoneDeleteMarkerGoesWhenTheRuleSaysSo) {
  auto config = Parse(
      "<Rule><Filter/><Status>Enabled</Status><Expiration>"
      "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>");
  auto marker = Object("k", 0, 0);
  marker.delete_marker = true;
  EXPECT_EQ(DueAction(config, marker, 1, kDay).kind, LifecycleActionKind::kNone);
  marker.only_version = true;
  EXPECT_EQ(DueAction(config, marker, 1, kDay).kind, LifecycleActionKind::kDeleteVersion);
}

TEST(LifecycleActionsTest, IncompleteUploadsAreAbortedAfterTheirDays) {
  auto config = Parse(
      "<Rule><ID>mpu</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status>"
      "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
      "</AbortIncompleteMultipartUpload></Rule>");
  EXPECT_EQ(AbortUploadRule(config, "tmp/x", 0, 999, kDay), "");
  EXPECT_EQ(AbortUploadRule(config, "tmp/x", 0, 1000, kDay), "mpu");
  EXPECT_EQ(AbortUploadRule(config, "data/x", 0, 5000, kDay), "");
}

}  // namespace
}  // namespace ferry::s3
