#include "s3/uri.h"

#include <gtest/gtest.h>

namespace ferry::s3 {
namespace {

TEST(UriEncode, KeepsUnreservedAndEscapesTheRestUpperCase) {
  EXPECT_EQ(UriEncode("AZaz09-_.~", true), "AZaz09-_.~");
  EXPECT_EQ(UriEncode("a b+c*d%e", true), "a%20b%2Bc%2Ad%25e");
  EXPECT_EQ(UriEncode("test$file.text", true), "test%24file.text");
  EXPECT_EQ(UriEncode("\xE1\x88\xB4", true), "%E1%88%B4");  // U+1234
  EXPECT_EQ(UriEncode(std::string("\0\xff", 2), true), "%00%FF");
}

TEST(UriEncode, SlashDependsOnTheFlag) {
  EXPECT_EQ(UriEncode("a/b//c", false), "a/b//c");
  EXPECT_EQ(UriEncode("a/b//c", true), "a%2Fb%2F%2Fc");
}

TEST(UriDecode, DecodesEitherCaseAndKeepsPlus) {
  EXPECT_EQ(UriDecode("a%20b%2fc%2Fd"), "a b/c/d");
  EXPECT_EQ(UriDecode("a+b"), "a+b");
  EXPECT_EQ(UriDecode(""), "");
  EXPECT_EQ(UriDecode("%E1%88%B4"), "\xE1\x88\xB4");
}

TEST(UriDecode, RejectsBadEscapes) {
  EXPECT_EQ(UriDecode("%"), std::nullopt);
  EXPECT_EQ(UriDecode("%2"), std::nullopt);
  EXPECT_EQ(UriDecode("abc%"), std::nullopt);
  EXPECT_EQ(UriDecode("%zz"), std::nullopt);
  EXPECT_EQ(UriDecode("%2g"), std::nullopt);
}

TEST(UriDecode, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(UriDecode(UriEncode(all, true)), all);
  EXPECT_EQ(UriDecode(UriEncode(all, false)), all);
}

TEST(ParseQuery, KeepsOrderAndDecodes) {
  auto q = ParseQuery("list-type=2&prefix=a%2Fb&delimiter=%2F&x=a+b");
  ASSERT_TRUE(q.ok());
  QueryParams want = {{"list-type", "2"}, {"prefix", "a/b"}, {"delimiter", "/"}, {"x", "a+b"}};
  EXPECT_EQ(*q, want);
}

TEST(ParseQuery, KeysWithoutValuesAndEmptyPieces) {
  auto q = ParseQuery("uploads&&acl=&a=b=c");
  ASSERT_TRUE(q.ok());
  QueryParams want = {{"uploads", ""}, {"acl", ""}, {"a", "b=c"}};
  EXPECT_EQ(*q, want);
  auto empty = ParseQuery("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(ParseQuery, BadEscapeIsInvalidArgument) {
  auto q = ParseQuery("prefix=%zz");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().s3_code(), "InvalidArgument");
  EXPECT_EQ(q.status().http_status(), 400);
}

TEST(FindQueryParam, FirstMatchCaseSensitive) {
  QueryParams q = {{"a", "1"}, {"A", "2"}, {"a", "3"}};
  EXPECT_EQ(FindQueryParam(q, "a"), "1");
  EXPECT_EQ(FindQueryParam(q, "A"), "2");
  EXPECT_EQ(FindQueryParam(q, "b"), std::nullopt);
}

TEST(ListingUrlEncode, FormStyleWithS3Exceptions) {
  EXPECT_EQ(ListingUrlEncode("dir/a b*c-d_e.f"), "dir/a%20b*c-d_e.f");
  EXPECT_EQ(ListingUrlEncode("~+&\x01"), "%7E%2B%26%01");
  EXPECT_EQ(ListingUrlEncode("\xC3\xA9"), "%C3%A9");
}

}  // namespace
}  // namespace ferry::s3
