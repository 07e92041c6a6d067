#include "s3/intelligent_tiering.h"

#include <gtest/gtest.h>

#include <string>

namespace ferry::s3 {
namespace {

constexpr int64_t kDay = int64_t{86400} * 1'000'000'000;

std::string Doc(const std::string& inner, const std::string& id = "cold") {
  return "<IntelligentTieringConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
         "<Id>" +
         id + "</Id>" + inner + "</IntelligentTieringConfiguration>";
}
std::string Tiering(const std::string& tier, int days) {
  return "<Tiering><AccessTier>" + tier + "</AccessTier><Days>" + std::to_string(days) +
         "</Days></Tiering>";
}
std::string CodeOf(const std::string& body, const std::string& id = "cold") {
  auto parsed = ParseIntelligentTieringConfiguration(body, id);
  return parsed.ok() ? "ok" : parsed.status().s3_code();
}

TEST(IntelligentTieringTest, AConfigurationIsReadAndWrittenBack) {
  const std::string body =
      Doc("<Filter><And><Prefix>raw/</Prefix><Tag><Key>tier</Key><Value>auto</Value></Tag>"
          "</And></Filter><Status>Enabled</Status>" +
          Tiering("ARCHIVE_ACCESS", 90) + Tiering("DEEP_ARCHIVE_ACCESS", 180));
  auto c = ParseIntelligentTieringConfiguration(body, "cold");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->id, "cold");
  EXPECT_TRUE(c->enabled);
  EXPECT_EQ(c->filter.prefix, "raw/");
  ASSERT_EQ(c->filter.tags.size(), 1u);
  EXPECT_EQ(c->archive_days, 90);
  EXPECT_EQ(c->deep_archive_days, 180);
  auto again = ParseIntelligentTieringConfiguration(IntelligentTieringConfigurationXml(*c), "cold");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->filter.tags, c->filter.tags);
  EXPECT_EQ(again->deep_archive_days, 180);

  auto list = ParseIntelligentTieringList(IntelligentTieringListXml({*c, *c}));
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->size(), 2u);
}

TEST(IntelligentTieringTest, WhatS3RefusesIsRefusedWithItsCode) {
  const std::string on = "<Status>Enabled</Status>";
  EXPECT_EQ(CodeOf(Doc(on + Tiering("ARCHIVE_ACCESS", 90))), "ok");
  EXPECT_EQ(CodeOf(Doc(on + Tiering("ARCHIVE_ACCESS", 89))), "InvalidArgument");
  EXPECT_EQ(CodeOf(Doc(on + Tiering("ARCHIVE_ACCESS", 731))), "InvalidArgument");
  EXPECT_EQ(CodeOf(Doc(on + Tiering("DEEP_ARCHIVE_ACCESS", 179))), "InvalidArgument");
  EXPECT_EQ(CodeOf(Doc(on + Tiering("ARCHIVE_ACCESS", 200) + Tiering("DEEP_ARCHIVE_ACCESS", 190))),
            "InvalidArgument");
  EXPECT_EQ(CodeOf(Doc(on + Tiering("ARCHIVE_ACCESS", 90) + Tiering("ARCHIVE_ACCESS", 100))),
            "MalformedXML");
  EXPECT_EQ(CodeOf(Doc(on + Tiering("FREQUENT_ACCESS", 90))), "MalformedXML");
  EXPECT_EQ(CodeOf(Doc(on)), "MalformedXML");  // no Tiering
  EXPECT_EQ(CodeOf(Doc("<Status>On</Status>" + Tiering("ARCHIVE_ACCESS", 90))), "MalformedXML");
  EXPECT_EQ(CodeOf(Doc(on + Tiering("ARCHIVE_ACCESS", 90)), "other"), "InvalidArgument");
  EXPECT_EQ(CodeOf(Doc(on + Tiering("ARCHIVE_ACCESS", 90), "")), "InvalidArgument");
  EXPECT_EQ(CodeOf(Doc("<Filter><ObjectSizeGreaterThan>5</ObjectSizeGreaterThan></Filter>" + on +
                       Tiering("ARCHIVE_ACCESS", 90))),
            "MalformedXML");
  EXPECT_EQ(CodeOf("<IntelligentTieringConfiguration><Id>cold"), "MalformedXML");
}

TEST(IntelligentTieringTest, TheDeepestDueTierOfAMatchingEnabledConfigurationWins) {
  IntelligentTieringConfiguration raw{.id = "raw", .archive_days = 90, .deep_archive_days = 180};
  raw.filter.prefix = "raw/";
  IntelligentTieringConfiguration off{.id = "off", .enabled = false, .deep_archive_days = 180};
  const std::vector<IntelligentTieringConfiguration> list = {raw, off};
  const int64_t since = 10 * kDay;
  EXPECT_EQ(DueArchiveAccessTier(list, "raw/a", {}, since, since + 89 * kDay, kDay), "");
  EXPECT_EQ(DueArchiveAccessTier(list, "raw/a", {}, since, since + 90 * kDay, kDay),
            "ARCHIVE_ACCESS");
  EXPECT_EQ(DueArchiveAccessTier(list, "raw/a", {}, since, since + 180 * kDay, kDay),
            "DEEP_ARCHIVE_ACCESS");
  EXPECT_EQ(DueArchiveAccessTier(list, "other/a", {}, since, since + 900 * kDay, kDay), "");
  // Rounded up to the next day boundary, as lifecycle rules are.
  EXPECT_EQ(DueArchiveAccessTier(list, "raw/a", {}, since + 1, since + 90 * kDay + 1, kDay), "");
  EXPECT_EQ(MinArchiveDays(list), 90);
  EXPECT_EQ(MinArchiveDays({off}), 0);
}

}  // namespace
}  // namespace ferry::s3
