#include "s3/http_semantics.h"

#include <gtest/gtest.h>

#include "s3/http_date.h"

namespace ferry::s3 {
namespace {

std::optional<ByteRange> Range(std::string_view header, uint64_t size) {
  auto r = ParseRange(header, size);
  EXPECT_TRUE(r.ok()) << header << ": " << r.status().ToString();
  return r.ok() ? *r : std::nullopt;
}

void ExpectRange(std::string_view header, uint64_t size, uint64_t start, uint64_t length) {
  auto r = Range(header, size);
  ASSERT_TRUE(r.has_value()) << header;
  EXPECT_EQ(r->start, start) << header;
  EXPECT_EQ(r->length, length) << header;
}

void ExpectUnsatisfiable(std::string_view header, uint64_t size) {
  auto r = ParseRange(header, size);
  ASSERT_FALSE(r.ok()) << header;
  EXPECT_EQ(r.status().s3_code(), "InvalidRange");
  EXPECT_EQ(r.status().http_status(), 416);
}

TEST(Range, TheThreeForms) {
  ExpectRange("bytes=0-9", 100, 0, 10);
  ExpectRange("bytes=5-", 100, 5, 95);
  ExpectRange("bytes=-10", 100, 90, 10);
  ExpectRange("bytes=99-99", 100, 99, 1);
  ExpectRange("Bytes=0-0 ", 100, 0, 1);
}

TEST(Range, ClampsPastTheEnd) {
  ExpectRange("bytes=90-200", 100, 90, 10);
  ExpectRange("bytes=-1000", 100, 0, 100);
  ExpectRange("bytes=0-99999999999999999999999999", 100, 0, 100);
}

TEST(Range, UnsatisfiableIsInvalidRange) {
  ExpectUnsatisfiable("bytes=100-", 100);
  ExpectUnsatisfiable("bytes=100-200", 100);
  ExpectUnsatisfiable("bytes=-0", 100);
  ExpectUnsatisfiable("bytes=0-", 0);
  ExpectUnsatisfiable("bytes=-5", 0);
  ExpectUnsatisfiable("bytes=99999999999999999999999-", 100);
}

TEST(Range, InvalidOrMultipleRangesAreIgnored) {
  for (const char* h : {"", "bytes", "bytes=", "bytes=-", "bytes=abc", "bytes=5-2", "bytes=a-5",
                        "bytes=0-9,20-29", "items=0-9", "bytes=0x1-5", "bytes=1-2-3"}) {
    EXPECT_EQ(Range(h, 100), std::nullopt) << h;
  }
}

TEST(Range, ContentRangeHeaders) {
  EXPECT_EQ(ContentRangeHeader({0, 10}, 100), "bytes 0-9/100");
  EXPECT_EQ(ContentRangeHeader({90, 10}, 100), "bytes 90-99/100");
  EXPECT_EQ(UnsatisfiedContentRangeHeader(100), "bytes */100");
}

TEST(CopySourceRange, OnlyFirstDashLastWithinTheObject) {
  auto r = ParseCopySourceRange("bytes=0-9", 10);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->start, 0u);
  EXPECT_EQ(r->length, 10u);
  r = ParseCopySourceRange("bytes=5-5", 10);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->start, 5u);
  EXPECT_EQ(r->length, 1u);
  for (std::string_view bad : {"bytes=0-10", "bytes=10-10", "bytes=-5", "bytes=5-", "0-5",
                               "bytes=5-2", "bytes=0-1,3-4", "bytes=a-b", ""}) {
    auto e = ParseCopySourceRange(bad, 10);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.status().s3_code(), "InvalidArgument") << bad;
    EXPECT_EQ(e.status().http_status(), 400) << bad;
  }
}

TEST(Etag, OnlyAPlainHexEtagIsTheMd5OfTheBody) {
  EXPECT_TRUE(IsMd5Etag("841a2d689ad86bd1611447453c22c6fc"));
  EXPECT_TRUE(IsMd5Etag("841A2D689AD86BD1611447453C22C6FC"));
  EXPECT_FALSE(IsMd5Etag("841a2d689ad86bd1611447453c22c6fc-2")) << "multipart";
  EXPECT_FALSE(IsMd5Etag("\"841a2d689ad86bd1611447453c22c6fc\"")) << "unquote first";
  EXPECT_FALSE(IsMd5Etag("841a2d689ad86bd1611447453c22c6fg"));
  EXPECT_FALSE(IsMd5Etag(""));
}

TEST(Etag, QuotingAndLists) {
  EXPECT_EQ(UnquoteEtag("\"abc\""), "abc");
  EXPECT_EQ(UnquoteEtag("W/\"abc\""), "abc");
  EXPECT_EQ(UnquoteEtag("abc"), "abc");
  EXPECT_EQ(QuoteEtag("abc"), "\"abc\"");
  EXPECT_EQ(QuoteEtag("\"abc\""), "\"abc\"");
  EXPECT_TRUE(EtagListMatches("\"abc\"", "abc"));
  EXPECT_TRUE(EtagListMatches("abc", "\"abc\""));
  EXPECT_TRUE(EtagListMatches("*", "abc"));
  EXPECT_TRUE(EtagListMatches("\"x\", \"abc\"", "abc"));
  EXPECT_TRUE(EtagListMatches("W/\"abc\"", "abc"));
  EXPECT_FALSE(EtagListMatches("\"abd\"", "abc"));
  EXPECT_FALSE(EtagListMatches("", "abc"));
}

class Conditions : public ::testing::Test {
 protected:
  // The object: ETag "abc", last modified 2015-10-21T07:28:00.5Z.
  static constexpr int64_t kModified = 1445412480;
  const std::string kAt = FormatHttpDate(kModified);
  const std::string kBefore = FormatHttpDate(kModified - 60);
  const std::string kAfter = FormatHttpDate(kModified + 60);

  Status Eval(GetConditions c, ConditionTarget target = ConditionTarget::kGetOrHead) {
    return EvaluateGetConditions(c, "\"abc\"", kModified * kNanosPerSecond + 500'000'000, target);
  }
  static std::string Code(const Status& s) { return s.ok() ? "OK" : s.s3_code(); }
};

TEST_F(Conditions, NoneGivenIsOk) {
  EXPECT_TRUE(Eval({}).ok());
}

TEST_F(Conditions, IfMatch) {
  EXPECT_EQ(Code(Eval({.if_match = "\"abc\""})), "OK");
  EXPECT_EQ(Code(Eval({.if_match = "*"})), "OK");
  Status s = Eval({.if_match = "\"zzz\""});
  EXPECT_EQ(Code(s), "PreconditionFailed");
  EXPECT_EQ(s.http_status(), 412);
}

TEST_F(Conditions, IfNoneMatch) {
  EXPECT_EQ(Code(Eval({.if_none_match = "\"zzz\""})), "OK");
  Status s = Eval({.if_none_match = "\"abc\""});
  EXPECT_EQ(Code(s), "NotModified");
  EXPECT_EQ(s.http_status(), 304);
  EXPECT_EQ(Code(Eval({.if_none_match = "*"})), "NotModified");
}

TEST_F(Conditions, Dates) {
  // Second granularity: the .5 s of the object's time do not count as "modified after".
  EXPECT_EQ(Code(Eval({.if_modified_since = kAt})), "NotModified");
  EXPECT_EQ(Code(Eval({.if_modified_since = kBefore})), "OK");
  EXPECT_EQ(Code(Eval({.if_modified_since = kAfter})), "NotModified");
  EXPECT_EQ(Code(Eval({.if_unmodified_since = kAt})), "OK");
  EXPECT_EQ(Code(Eval({.if_unmodified_since = kAfter})), "OK");
  EXPECT_EQ(Code(Eval({.if_unmodified_since = kBefore})), "PreconditionFailed");
  // Unparseable dates are ignored.
  EXPECT_EQ(Code(Eval({.if_modified_since = "garbage"})), "OK");
  EXPECT_EQ(Code(Eval({.if_unmodified_since = "garbage"})), "OK");
}

TEST_F(Conditions, S3Precedence) {
  // If-Match true + If-Unmodified-Since false -> 200.
  EXPECT_EQ(Code(Eval({.if_match = "\"abc\"", .if_unmodified_since = kBefore})), "OK");
  // If-None-Match false + If-Modified-Since true -> 304.
  EXPECT_EQ(Code(Eval({.if_none_match = "\"abc\"", .if_modified_since = kBefore})), "NotModified");
  // If-None-Match true + If-Modified-Since false -> 200 (If-Modified-Since ignored).
  EXPECT_EQ(Code(Eval({.if_none_match = "\"zzz\"", .if_modified_since = kAfter})), "OK");
  // A failed If-Match wins over a failed If-None-Match.
  EXPECT_EQ(Code(Eval({.if_match = "\"zzz\"", .if_none_match = "\"abc\""})), "PreconditionFailed");
}

TEST_F(Conditions, CopySourceFailuresAre412) {
  EXPECT_EQ(Code(Eval({.if_none_match = "\"abc\""}, ConditionTarget::kCopySource)),
            "PreconditionFailed");
  EXPECT_EQ(Code(Eval({.if_modified_since = kAfter}, ConditionTarget::kCopySource)),
            "PreconditionFailed");
  EXPECT_EQ(Code(Eval({.if_match = "\"abc\"", .if_unmodified_since = kBefore},
                      ConditionTarget::kCopySource)),
            "OK");
}

}  // namespace
}  // namespace ferry::s3
