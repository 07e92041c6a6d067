#include "s3/lifecycle.h"

#include <gtest/gtest.h>

#include <string>

#include "s3/http_date.h"

namespace ferry::s3 {
namespace {

std::string Doc(const std::string& rules) {
  return "<LifecycleConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + rules +
         "</LifecycleConfiguration>";
}
std::string Rule(const std::string& body, const std::string& status = "Enabled") {
  return "<Rule>" + body + "<Status>" + status + "</Status></Rule>";
}
std::string CodeOf(const std::string& body) {
  auto parsed = ParseLifecycleConfiguration(body);
  return parsed.ok() ? "ok" : parsed.status().s3_code();
}

TEST(LifecycleTest, ARuleOfEveryKindIsReadAndWrittenBack) {
  const std::string body = Doc(
      Rule("<ID>archive</ID><Filter><And><Prefix>ckpt/</Prefix><Tag><Key>keep</Key>"
           "<Value>no</Value></Tag><ObjectSizeGreaterThan>1024</ObjectSizeGreaterThan></And>"
           "</Filter><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass>"
           "</Transition><Transition><Days>180</Days><StorageClass>DEEP_ARCHIVE</StorageClass>"
           "</Transition><Expiration><Days>365</Days></Expiration>"
           "<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays><StorageClass>"
           "GLACIER_IR</StorageClass></NoncurrentVersionTransition>"
           "<NoncurrentVersionExpiration><NoncurrentDays>7</NoncurrentDays>"
           "<NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>") +
      Rule("<Prefix>tmp/</Prefix><AbortIncompleteMultipartUpload><DaysAfterInitiation>2"
           "</DaysAfterInitiation></AbortIncompleteMultipartUpload>",
           "Disabled") +
      Rule("<Filter></Filter><Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration>"));
  auto parsed = ParseLifecycleConfiguration(body);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->rules.size(), 3u);
  const LifecycleRule& r = parsed->rules[0];
  EXPECT_EQ(r.id, "archive");
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.filter.prefix, "ckpt/");
  EXPECT_EQ(r.filter.tags, (Tags{{"keep", "no"}}));
  EXPECT_EQ(r.filter.size_greater_than, 1024u);
  ASSERT_EQ(r.transitions.size(), 2u);
  EXPECT_EQ(r.transitions[1].storage_class, "DEEP_ARCHIVE");
  EXPECT_EQ(r.expiration->days, 365);
  EXPECT_EQ(r.noncurrent_expiration->newer_noncurrent_versions, 2);
  EXPECT_EQ(r.noncurrent_transitions[0].storage_class, "GLACIER_IR");
  EXPECT_FALSE(parsed->rules[1].enabled);
  EXPECT_TRUE(parsed->rules[1].filter.legacy_prefix);
  EXPECT_EQ(parsed->rules[1].abort_incomplete_upload_days, 2);
  EXPECT_FALSE(parsed->rules[2].id.empty());  // given one
  EXPECT_EQ(parsed->rules[2].expiration->date_ns, ParseIso8601("2030-01-01T00:00:00Z"));
  // Written back and read again, the same configuration.
  auto again = ParseLifecycleConfiguration(LifecycleConfigurationXml(*parsed));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(LifecycleConfigurationXml(*again), LifecycleConfigurationXml(*parsed));
  EXPECT_EQ(again->rules[0].filter.tags, r.filter.tags);
  EXPECT_TRUE(again->rules[1].filter.legacy_prefix);
}

TEST(LifecycleTest, WhatS3RefusesIsRefusedWithItsError) {
  const std::string expire = "<Expiration><Days>1</Days></Expiration>";
  EXPECT_EQ(CodeOf("<LifecycleConfiguration>"), "MalformedXML");
  EXPECT_EQ(CodeOf(Doc("")), "MalformedXML");
  EXPECT_EQ(CodeOf(Doc(Rule("<Filter/>" + expire, "On"))), "MalformedXML");
  EXPECT_EQ(CodeOf(Doc(Rule(expire))), "MalformedXML");  // neither Filter nor Prefix
  EXPECT_EQ(CodeOf(Doc(Rule("<Prefix/><Filter/>" + expire))), "MalformedXML");
  EXPECT_EQ(CodeOf(Doc(Rule("<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>"
                            "</Filter>" +
                            expire))),
            "MalformedXML");  // two conditions without <And>
  EXPECT_EQ(CodeOf(Doc(Rule("<Filter/><Expiration><Days>0</Days></Expiration>"))),
            "InvalidArgument");
  EXPECT_EQ(CodeOf(Doc(Rule("<Filter/><Expiration><Days>x</Days></Expiration>"))), "MalformedXML");
  EXPECT_EQ(CodeOf(Doc(Rule("<Filter/><Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z"
                            "</Date></Expiration>"))),
            "MalformedXML");
  EXPECT_EQ(CodeOf(Doc(Rule("<Filter/><Expiration><Date>20200101</Date></Expiration>"))),
            "MalformedXML");
  EXPECT_EQ(CodeOf(Doc(Rule("<Filter/><Expiration><Date>2030-01-01T12:00:00Z</Date>"
                            "</Expiration>"))),
            "InvalidArgument");
  EXPECT_EQ(CodeOf(Doc(Rule("<Filter/><Transition><Days>1</Days><StorageClass>COLD"
                            "</StorageClass></Transition>"))),
            "MalformedXML");
  EXPECT_EQ(CodeOf(Doc(Rule("<Filter/><Transition><Days>10</Days><StorageClass>STANDARD_IA"
                            "</StorageClass></Transition>"))),
            "InvalidArgument");
  EXPECT_EQ(CodeOf(Doc(Rule("<Filter/>"))), "InvalidRequest");  // no action
  EXPECT_EQ(CodeOf(Doc(Rule("<ID>" + std::string(256, 'a') + "</ID><Filter/>" + expire))),
            "InvalidArgument");
  EXPECT_EQ(
      CodeOf(Doc(Rule("<ID>x</ID><Filter/>" + expire) + Rule("<ID>x</ID><Filter/>" + expire))),
      "InvalidArgument");
  EXPECT_EQ(CodeOf(Doc(Rule("<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"
                            "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1"
                            "</DaysAfterInitiation></AbortIncompleteMultipartUpload>"))),
            "InvalidRequest");
  EXPECT_EQ(CodeOf(Doc(Rule("<Filter/><Expiration><Days>30</Days></Expiration><Transition>"
                            "<Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>"))),
            "InvalidArgument");  // expiring no later than it moves
  std::string many;
  for (size_t i = 0; i <= kMaxLifecycleRules; ++i) many += Rule("<Filter/>" + expire);
  EXPECT_EQ(CodeOf(Doc(many)), "InvalidRequest");
}

TEST(LifecycleTest, FiltersSelectByPrefixTagsAndSize) {
  LifecycleFilter f;
  f.prefix = "logs/";
  f.tags = {{"tier", "cold"}};
  f.size_greater_than = 10;
  f.size_less_than = 100;
  EXPECT_TRUE(FilterMatches(f, "logs/a", 50, {{"x", "y"}, {"tier", "cold"}}));
  EXPECT_FALSE(FilterMatches(f, "data/a", 50, {{"tier", "cold"}}));
  EXPECT_FALSE(FilterMatches(f, "logs/a", 50, {{"tier", "hot"}}));
  EXPECT_FALSE(FilterMatches(f, "logs/a", 10, {{"tier", "cold"}}));
  EXPECT_FALSE(FilterMatches(f, "logs/a", 100, {{"tier", "cold"}}));
  EXPECT_TRUE(FilterMatches(LifecycleFilter{}, "anything", 0, {}));
}

TEST(LifecycleTest, ActionsFallDueAtTheMidnightAfterTheirDays) {
  const int64_t day = int64_t{86400} * kNanosPerSecond;
  const int64_t created = *ParseIso8601("2026-01-01T15:30:00Z");
  EXPECT_EQ(LifecycleDueAt(created, 1, day), *ParseIso8601("2026-01-03T00:00:00Z"));
  EXPECT_EQ(LifecycleDueAt(*ParseIso8601("2026-01-01T00:00:00Z"), 1, day),
            *ParseIso8601("2026-01-02T00:00:00Z"));
  // A scaled day of 10 s for tests: due at the next 10 s boundary after the days.
  const int64_t ten_s = 10 * kNanosPerSecond;
  EXPECT_EQ(LifecycleDueAt(3 * kNanosPerSecond, 2, ten_s), 30 * kNanosPerSecond);
}

}  // namespace
}  // namespace ferry::s3
