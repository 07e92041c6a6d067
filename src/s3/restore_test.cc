#include "s3/restore.h"

#include <gtest/gtest.h>

#include <string>

#include "s3/http_date.h"

namespace ferry::s3 {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kDay = 86400 * kSecond;

std::string CodeOf(const Status& st) {
  return st.ok() ? "ok" : st.s3_code();
}

std::string RestoreBody(const std::string& days, const std::string& tier = "") {
  std::string body = "<RestoreRequest><Days>" + days + "</Days>";
  if (!tier.empty())
    body += "<GlacierJobParameters><Tier>" + tier + "</Tier></GlacierJobParameters>";
  return body + "</RestoreRequest>";
}

TEST(RestoreTest, RequestsAreReadAndBadOnesRefused) {
  auto req = ParseRestoreRequest(RestoreBody("7", "Bulk"));
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->days, 7);
  EXPECT_EQ(req->tier, "Bulk");
  EXPECT_EQ(ParseRestoreRequest(RestoreBody("1"))->tier, "Standard");
  EXPECT_EQ(CodeOf(ParseRestoreRequest(RestoreBody("0")).status()), "InvalidArgument");
  EXPECT_EQ(CodeOf(ParseRestoreRequest(RestoreBody("two")).status()), "MalformedXML");
  EXPECT_EQ(CodeOf(ParseRestoreRequest(RestoreBody("1", "Fastest")).status()), "MalformedXML");
  EXPECT_EQ(ParseRestoreRequest("<RestoreRequest/>")->days, 0);  // Intelligent-Tiering's form
  EXPECT_EQ(CodeOf(ParseRestoreRequest("not xml").status()), "MalformedXML");
}

TEST(RestoreTest, RestoreTimesAreSetPerTierAndClass) {
  auto t = ParseRestoreTimes("standard=10s,bulk=1m,expedited=1s,deep_archive.bulk=2h");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->glacier_standard_ns, 10 * kSecond);
  EXPECT_EQ(t->deep_standard_ns, 10 * kSecond);
  EXPECT_EQ(t->glacier_bulk_ns, 60 * kSecond);
  EXPECT_EQ(t->deep_bulk_ns, 7200 * kSecond);
  EXPECT_EQ(t->glacier_expedited_ns, kSecond);
  EXPECT_EQ(RestoreTimes{}.deep_bulk_ns, 48 * 3600 * kSecond);  // AWS's published times
  EXPECT_FALSE(ParseRestoreTimes("standard").ok());
  EXPECT_FALSE(ParseRestoreTimes("fast=1s").ok());
  EXPECT_FALSE(ParseRestoreTimes("cold.bulk=1s").ok());
  EXPECT_FALSE(ParseRestoreTimes("bulk=soon").ok());
}

TEST(RestoreTest, TheStateMachineOfRestoreObject) {
  RestoreTimes times = *ParseRestoreTimes("expedited=10s,standard=100s,bulk=1000s");
  ObjectHeaders h;
  h.storage_class = "GLACIER";
  const int64_t t0 = 1'000 * kDay + 12 * 3600 * kSecond;  // noon
  EXPECT_FALSE(ReadableNow(h, t0));
  EXPECT_EQ(RestoreHeaderValue(h, t0), "");
  // A new restore: 202, under way for the tier's time.
  auto first = DecideRestore(h, {2, "Standard"}, t0, times, kDay);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->http_status, 202);
  h = first->headers;
  EXPECT_EQ(RestoreHeaderValue(h, t0 + kSecond), "ongoing-request=\"true\"");
  EXPECT_FALSE(ReadableNow(h, t0 + 99 * kSecond));
  // Asked again while under way: 409, unless a faster tier gets there sooner.
  EXPECT_EQ(CodeOf(DecideRestore(h, {2, "Standard"}, t0 + kSecond, times, kDay).status()),
            "RestoreAlreadyInProgress");
  EXPECT_EQ(CodeOf(DecideRestore(h, {2, "Bulk"}, t0 + kSecond, times, kDay).status()),
            "RestoreAlreadyInProgress");
  auto faster = DecideRestore(h, {2, "Expedited"}, t0 + kSecond, times, kDay);
  ASSERT_TRUE(faster.ok());
  EXPECT_EQ(faster->http_status, 202);
  h = faster->headers;
  EXPECT_EQ(h.restore_ready_ns, t0 + 11 * kSecond);
  // Restored: readable until the expiry, Days after it, at the next midnight.
  EXPECT_TRUE(ReadableNow(h, t0 + 11 * kSecond));
  EXPECT_EQ(h.restore_expiry_ns, 1'003 * kDay);
  EXPECT_EQ(RestoreHeaderValue(h, t0 + 20 * kSecond),
            "ongoing-request=\"false\", expiry-date=\"" +
                FormatHttpDate(NanosToSeconds(1'003 * kDay)) + "\"");
  // Asked again once restored: 200, and the new Days counts from now.
  auto extended = DecideRestore(h, {5, "Bulk"}, t0 + kDay, times, kDay);
  ASSERT_TRUE(extended.ok());
  EXPECT_EQ(extended->http_status, 200);
  EXPECT_EQ(extended->headers.restore_expiry_ns, 1'007 * kDay);
  // Expired: archived again, and a new restore starts over.
  EXPECT_FALSE(ReadableNow(h, 1'003 * kDay));
  EXPECT_EQ(RestoreHeaderValue(h, 1'003 * kDay), "");
  auto again = DecideRestore(h, {1, "Bulk"}, 1'003 * kDay, times, kDay);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->http_status, 202);
  EXPECT_EQ(again->headers.restore_ready_ns, 1'003 * kDay + 1000 * kSecond);
}

TEST(RestoreTest, AClientReadsTheHeaderBack) {
  ObjectHeaders h;
  h.storage_class = "GLACIER";
  ASSERT_TRUE(ParseRestoreHeader("ongoing-request=\"true\"", h));
  EXPECT_FALSE(ReadableNow(h, 5 * kDay));
  EXPECT_EQ(RestoreHeaderValue(h, 5 * kDay), "ongoing-request=\"true\"");
  const std::string restored =
      "ongoing-request=\"false\", expiry-date=\"" + FormatHttpDate(NanosToSeconds(7 * kDay)) + "\"";
  ASSERT_TRUE(ParseRestoreHeader(restored, h));
  EXPECT_TRUE(ReadableNow(h, 5 * kDay));
  EXPECT_FALSE(ReadableNow(h, 7 * kDay));
  EXPECT_EQ(RestoreHeaderValue(h, 5 * kDay), restored);
  for (const char* bad :
       {"", "ongoing-request=true", "ongoing-request=\"maybe\"", "ongoing-request=\"false\"",
        "ongoing-request=\"false\", expiry-date=\"soon\""}) {
    ObjectHeaders other;
    EXPECT_FALSE(ParseRestoreHeader(bad, other)) << bad;
  }
}

TEST(RestoreTest, OnlyArchivedObjectsAreRestoredAndDeepArchiveHasNoExpedited) {
  RestoreTimes times;
  ObjectHeaders standard;
  EXPECT_TRUE(ReadableNow(standard, 0));
  EXPECT_EQ(CodeOf(DecideRestore(standard, {1, "Standard"}, 0, times, kDay).status()),
            "InvalidObjectState");
  ObjectHeaders instant;
  instant.storage_class = "GLACIER_IR";
  EXPECT_TRUE(ReadableNow(instant, 0));
  EXPECT_EQ(CodeOf(DecideRestore(instant, {1, "Standard"}, 0, times, kDay).status()),
            "InvalidObjectState");
  ObjectHeaders deep;
  deep.storage_class = "DEEP_ARCHIVE";
  EXPECT_EQ(CodeOf(DecideRestore(deep, {1, "Expedited"}, 0, times, kDay).status()),
            "InvalidArgument");
  auto bulk = DecideRestore(deep, {1, "Bulk"}, 0, times, kDay);
  ASSERT_TRUE(bulk.ok());
  EXPECT_EQ(bulk->headers.restore_ready_ns, times.deep_bulk_ns);
}

TEST(RestoreTest, AGlacierRestoreNeedsDays) {
  ObjectHeaders h;
  h.storage_class = "GLACIER";
  EXPECT_EQ(CodeOf(DecideRestore(h, {0, "Standard"}, 0, RestoreTimes{}, kDay).status()),
            "MalformedXML");
}

TEST(RestoreTest, AnIntelligentTieringObjectIsRestoredForGoodWithoutDays) {
  RestoreTimes times = *ParseRestoreTimes("expedited=10s,standard=100s,bulk=1000s");
  ObjectHeaders h;
  h.storage_class = "INTELLIGENT_TIERING";
  EXPECT_TRUE(ReadableNow(h, 0));  // in the frequent or infrequent access tier
  EXPECT_EQ(ArchiveStatusAt(h, 0), "");
  EXPECT_EQ(CodeOf(DecideRestore(h, {0, "Standard"}, 0, times, kDay).status()),
            "InvalidObjectState");

  h.archive_access_tier = "ARCHIVE_ACCESS";
  const int64_t t0 = 1'000 * kDay;
  EXPECT_FALSE(ReadableNow(h, t0));
  EXPECT_EQ(ArchiveStatusAt(h, t0), "ARCHIVE_ACCESS");
  EXPECT_EQ(CodeOf(DecideRestore(h, {7, "Standard"}, t0, times, kDay).status()),
            "InvalidArgument");  // no Days for this tier
  auto started = DecideRestore(h, {0, "Bulk"}, t0, times, kDay);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(started->http_status, 202);
  h = started->headers;
  EXPECT_EQ(RestoreHeaderValue(h, t0 + 1), "ongoing-request=\"true\"");
  EXPECT_EQ(ArchiveStatusAt(h, t0 + 1), "ARCHIVE_ACCESS");
  // A faster tier overtakes it, as for GLACIER.
  auto faster = DecideRestore(h, {0, "Expedited"}, t0 + kSecond, times, kDay);
  ASSERT_TRUE(faster.ok()) << faster.status().ToString();
  h = faster->headers;
  const int64_t done = t0 + 11 * kSecond;
  EXPECT_TRUE(ReadableNow(h, done));
  EXPECT_TRUE(ReadableNow(h, done + 10'000 * kDay));  // never expires
  EXPECT_EQ(ArchiveStatusAt(h, done), "");
  EXPECT_EQ(RestoreHeaderValue(h, done), "");
  EXPECT_EQ(CodeOf(DecideRestore(h, {0, "Standard"}, done, times, kDay).status()),
            "InvalidObjectState");  // moved back: nothing to restore

  ObjectHeaders deep;
  deep.storage_class = "INTELLIGENT_TIERING";
  deep.archive_access_tier = "DEEP_ARCHIVE_ACCESS";
  EXPECT_EQ(CodeOf(DecideRestore(deep, {0, "Expedited"}, 0, times, kDay).status()),
            "InvalidArgument");
  auto standard = DecideRestore(deep, {0, "Standard"}, 0, times, kDay);
  ASSERT_TRUE(standard.ok());
  EXPECT_EQ(standard->headers.restore_ready_ns, times.deep_standard_ns);
}

}  // namespace
}  // namespace ferry::s3
