#include "s3/http_date.h"

#include <gtest/gtest.h>

namespace ferry::s3 {
namespace {

// Epoch values below were computed with Python's calendar.timegm.
constexpr int64_t k20151021 = 1445412480;  // 2015-10-21T07:28:00Z
constexpr int64_t k19941106 = 784111777;   // 1994-11-06T08:49:37Z

TEST(HttpDate, FormatsRfc1123) {
  EXPECT_EQ(FormatHttpDate(k20151021), "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(FormatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(FormatHttpDate(4102444800), "Fri, 01 Jan 2100 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(951868799), "Tue, 29 Feb 2000 23:59:59 GMT");
}

TEST(HttpDate, ParsesTheThreeFormats) {
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), k19941106);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), k19941106);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), k19941106);
  EXPECT_EQ(ParseHttpDate("  Wed, 21 Oct 2015 07:28:00 GMT "), k20151021);
}

TEST(HttpDate, RoundTrips) {
  for (int64_t t :
       {int64_t{0}, k20151021, int64_t{2147483648}, int64_t{4107542400}, int64_t{951868799}}) {
    EXPECT_EQ(ParseHttpDate(FormatHttpDate(t)), t) << t;
  }
}

TEST(HttpDate, RejectsGarbage) {
  for (const char* bad :
       {"", "yesterday", "Wed, 21 Oct 2015 07:28:00", "Wed, 32 Oct 2015 07:28:00 GMT",
        "Wed, 29 Feb 2015 07:28:00 GMT", "Wed, 21 Foo 2015 07:28:00 GMT",
        "Wed, 21 Oct 2015 24:00:00 GMT", "Wed, 21 Oct 2015 07:28:00 GMT x", "1445412480"}) {
    EXPECT_EQ(ParseHttpDate(bad), std::nullopt) << bad;
  }
}

TEST(Iso8601, FormatsWithMilliseconds) {
  EXPECT_EQ(FormatIso8601(k20151021 * kNanosPerSecond), "2015-10-21T07:28:00.000Z");
  EXPECT_EQ(FormatIso8601(k20151021 * kNanosPerSecond + 123'456'789), "2015-10-21T07:28:00.123Z");
  EXPECT_EQ(FormatIso8601(-1), "1969-12-31T23:59:59.999Z");
}

TEST(Iso8601, Parses) {
  EXPECT_EQ(ParseIso8601("2015-10-21T07:28:00.000Z"), k20151021 * kNanosPerSecond);
  EXPECT_EQ(ParseIso8601("2015-10-21T07:28:00Z"), k20151021 * kNanosPerSecond);
  EXPECT_EQ(ParseIso8601("2015-10-21T07:28:00.5Z"), k20151021 * kNanosPerSecond + 500'000'000);
  EXPECT_EQ(ParseIso8601("2015-10-21T07:28:00.123456789123Z"),
            k20151021 * kNanosPerSecond + 123'456'789);
  EXPECT_EQ(ParseIso8601("2015-10-21T07:28:00.Z"), std::nullopt);
  EXPECT_EQ(ParseIso8601("2015-10-21 07:28:00Z"), std::nullopt);
  EXPECT_EQ(ParseIso8601("2015-13-21T07:28:00Z"), std::nullopt);
  EXPECT_EQ(ParseIso8601("2015-10-21T07:28:00+01:00"), std::nullopt);
  // Past what nanoseconds since 1970 hold (found by the XML fuzzer: signed overflow).
  EXPECT_EQ(ParseIso8601("2262-04-11T23:47:16.854Z"), int64_t{9'223'372'036'854'000'000});
  EXPECT_EQ(ParseIso8601("4026-05-24T00:00:00.000Z"), std::nullopt);
  EXPECT_EQ(ParseIso8601("2262-04-11T23:47:17Z"), std::nullopt);
}

TEST(AmzDate, FormatsAndParsesBasicFormat) {
  EXPECT_EQ(FormatAmzDate(1440938160), "20150830T123600Z");
  EXPECT_EQ(ParseAmzDate("20150830T123600Z"), 1440938160);
  EXPECT_EQ(ParseAmzDate("20130524T000000Z"), 1369353600);
  for (const char* bad : {"", "20150830T123600", "20150830123600Z", "2015-08-30T12:36:00Z",
                          "20150830T123600Zx", "20151330T123600Z", "2015083OT123600Z"}) {
    EXPECT_EQ(ParseAmzDate(bad), std::nullopt) << bad;
  }
}

TEST(NanosToSeconds, FloorsNegativeTimes) {
  EXPECT_EQ(NanosToSeconds(1'999'999'999), 1);
  EXPECT_EQ(NanosToSeconds(-1), -1);
  EXPECT_EQ(NanosToSeconds(-1'000'000'000), -1);
  EXPECT_EQ(NanosToSeconds(-1'000'000'001), -2);
}

}  // namespace
}  // namespace ferry::s3
