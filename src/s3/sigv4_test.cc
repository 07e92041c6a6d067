#include "s3/sigv4.h"

#include <gtest/gtest.h>

#include "core/checksum.h"

namespace ferry::s3 {
namespace {

std::string Sha256Hex(std::string_view s) {
  return HexEncode(Digest(DigestKind::kSha256, s));
}

// ---------------------------------------------------------------------------------------------
// AWS's SigV4 test suite (the "aws-sig-v4-test-suite" cases, as published with the AWS SDK
// for JavaScript's signature-v4 package, suite.fixture.ts). Only the cases that do not depend
// on path normalisation, which S3 does not do, are used.

constexpr char kSuiteAmzDate[] = "20150830T123600Z";

SigningParams SuiteParams() {
  SigningParams p;
  p.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  p.region = "us-east-1";
  p.service = "service";
  p.amz_date = kSuiteAmzDate;
  return p;
}

struct SuiteCase {
  const char* name;
  const char* method;
  const char* path;  // as on the wire
  QueryParams query;
  HeaderList extra_headers;
  const char* body;
  const char* signed_headers;
  const char* signature;
};

class SigV4Suite : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(SigV4Suite, MatchesPublishedAuthorization) {
  const SuiteCase& c = GetParam();
  SignableRequest req;
  req.method = c.method;
  req.path = c.path;
  req.query = c.query;
  req.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kSuiteAmzDate}};
  req.headers.insert(req.headers.end(), c.extra_headers.begin(), c.extra_headers.end());
  req.payload_hash = Sha256Hex(c.body);
  std::string want = std::string("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/") +
                     "service/aws4_request, SignedHeaders=" + c.signed_headers +
                     ", Signature=" + c.signature;
  EXPECT_EQ(Sign(req, SuiteParams()), want);
}

INSTANTIATE_TEST_SUITE_P(
    Aws, SigV4Suite,
    ::testing::Values(
        SuiteCase{"get_vanilla",
                  "GET",
                  "/",
                  {},
                  {},
                  "",
                  "host;x-amz-date",
                  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        SuiteCase{"get_vanilla_empty_query_key",
                  "GET",
                  "/",
                  {{"Param1", "value1"}},
                  {},
                  "",
                  "host;x-amz-date",
                  "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
        SuiteCase{"get_vanilla_query_order_key_case",
                  "GET",
                  "/",
                  {{"Param2", "value2"}, {"Param1", "value1"}},
                  {},
                  "",
                  "host;x-amz-date",
                  "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
        SuiteCase{"get_vanilla_query_unreserved",
                  "GET",
                  "/",
                  {{"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}},
                  {},
                  "",
                  "host;x-amz-date",
                  "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
        SuiteCase{"get_vanilla_utf8_query",
                  "GET",
                  "/",
                  {{"\xE1\x88\xB4", "bar"}},
                  {},
                  "",
                  "host;x-amz-date",
                  "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
        SuiteCase{"get_unreserved",
                  "GET",
                  "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                  {},
                  {},
                  "",
                  "host;x-amz-date",
                  "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
        SuiteCase{"get_utf8",
                  "GET",
                  "/%E1%88%B4",
                  {},
                  {},
                  "",
                  "host;x-amz-date",
                  "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
        // Three separate My-Header1 headers are joined with ',' in order.
        SuiteCase{"get_header_key_duplicate",
                  "GET",
                  "/",
                  {},
                  {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
                  "",
                  "host;my-header1;x-amz-date",
                  "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
        SuiteCase{"get_header_value_order",
                  "GET",
                  "/",
                  {},
                  {{"My-Header1", "value4"},
                   {"My-Header1", "value1"},
                   {"My-Header1", "value3"},
                   {"My-Header1", "value2"}},
                  "",
                  "host;my-header1;x-amz-date",
                  "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
        SuiteCase{"get_header_value_trim",
                  "GET",
                  "/",
                  {},
                  {{"My-Header1", "  value1 "}, {"My-Header2", " \"a   b   c\""}},
                  "",
                  "host;my-header1;my-header2;x-amz-date",
                  "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
        SuiteCase{"post_vanilla",
                  "POST",
                  "/",
                  {},
                  {},
                  "",
                  "host;x-amz-date",
                  "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
        SuiteCase{"post_header_key_sort",
                  "POST",
                  "/",
                  {},
                  {{"My-Header1", "value1"}},
                  "",
                  "host;my-header1;x-amz-date",
                  "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
        SuiteCase{"post_header_value_case",
                  "POST",
                  "/",
                  {},
                  {{"My-Header1", "VALUE1"}},
                  "",
                  "host;my-header1;x-amz-date",
                  "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
        SuiteCase{"post_vanilla_query",
                  "POST",
                  "/",
                  {{"Param1", "value1"}},
                  {},
                  "",
                  "host;x-amz-date",
                  "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
        SuiteCase{"post_vanilla_query_nonunreserved",
                  "POST",
                  "/",
                  {{"@#$%^", ""}, {"+", "/,?><`\";:\\|][{}"}},
                  {},
                  "",
                  "host;x-amz-date",
                  "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"},
        SuiteCase{"post_vanilla_query_space",
                  "POST",
                  "/",
                  {{"p", ""}},
                  {},
                  "",
                  "host;x-amz-date",
                  "e71688addb58a26418614085fb730ba3faa623b461c17f48f2fbdb9361b94a9b"},
        SuiteCase{"post_x_www_form_urlencoded",
                  "POST",
                  "/",
                  {},
                  {{"Content-Type", "application/x-www-form-urlencoded"}},
                  "Param1=value1",
                  "content-type;host;x-amz-date",
                  "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
        SuiteCase{"post_x_www_form_urlencoded_parameters",
                  "POST",
                  "/",
                  {},
                  {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}},
                  "Param1=value1",
                  "content-type;host;x-amz-date",
                  "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"}),
    [](const ::testing::TestParamInfo<SuiteCase>& info) { return info.param.name; });

// ---------------------------------------------------------------------------------------------
// The S3 examples of "Signature Calculations for the Authorization Header: Transferring
// Payload in a Single Chunk" and "Authenticating Requests: Using Query Parameters".

constexpr char kS3AmzDate[] = "20130524T000000Z";

SigningParams S3Params() {
  SigningParams p;
  p.credentials = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  p.region = "us-east-1";
  p.service = "s3";
  p.amz_date = kS3AmzDate;
  return p;
}

std::string SignatureOf(const std::string& authorization) {
  auto parsed = ParseAuthorizationHeader(authorization);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? parsed->signature : "";
}

SignableRequest S3Get(std::string path, QueryParams query, HeaderList extra = {}) {
  SignableRequest req;
  req.method = "GET";
  req.path = std::move(path);
  req.query = std::move(query);
  req.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"x-amz-date", kS3AmzDate},
                 {"x-amz-content-sha256", std::string(kEmptySha256)}};
  req.headers.insert(req.headers.end(), extra.begin(), extra.end());
  req.payload_hash = std::string(kEmptySha256);
  return req;
}

TEST(SigV4S3Examples, GetObjectWithRange) {
  SignableRequest req = S3Get("/test.txt", {}, {{"Range", "bytes=0-9"}});
  std::vector<std::string> names = SignedHeaderNames(req.headers);
  std::string canonical = CanonicalRequest(req, names);
  EXPECT_EQ(
      canonical,
      "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(StringToSign(kS3AmzDate, "20130524/us-east-1/s3/aws4_request", canonical),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(Sign(req, S3Params()),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4S3Examples, PutObjectWithDollarInKey) {
  const std::string body = "Welcome to Amazon S3.";
  const std::string hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
  ASSERT_EQ(Sha256Hex(body), hash);
  // The same key, sent raw or percent-encoded, has one canonical URI.
  for (const char* path : {"/test$file.text", "/test%24file.text"}) {
    SignableRequest req;
    req.method = "PUT";
    req.path = path;
    req.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                   {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                   {"x-amz-date", kS3AmzDate},
                   {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                   {"x-amz-content-sha256", hash}};
    req.payload_hash = hash;
    EXPECT_EQ(CanonicalRequest(req, SignedHeaderNames(req.headers)),
              "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n"
              "host:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:" +
                  hash +
                  "\nx-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
                  "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n" +
                  hash);
    EXPECT_EQ(SignatureOf(Sign(req, S3Params())),
              "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  }
}

TEST(SigV4S3Examples, GetBucketLifecycle) {
  SignableRequest req = S3Get("/", {{"lifecycle", ""}});
  EXPECT_EQ(SignatureOf(Sign(req, S3Params())),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4S3Examples, ListObjects) {
  SignableRequest req = S3Get("/", {{"prefix", "J"}, {"max-keys", "2"}});
  EXPECT_EQ(CanonicalQueryString(req.query), "max-keys=2&prefix=J");
  EXPECT_EQ(SignatureOf(Sign(req, S3Params())),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4S3Examples, PresignedGetObject) {
  SignableRequest req;
  req.method = "GET";
  req.path = "/test.txt";
  req.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  EXPECT_EQ(Presign(req, S3Params(), 86400),
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
            "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
            "X-Amz-SignedHeaders=host&"
            "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(SigV4, SigningKeyMatchesAwsExample) {
  // From the AWS General Reference, "Examples of how to derive a signing key".
  EXPECT_EQ(HexEncode(SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                 "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, CanonicalUriEncodesEachSegmentOnceWithoutNormalising) {
  EXPECT_EQ(CanonicalUri(""), "/");
  EXPECT_EQ(CanonicalUri("/"), "/");
  EXPECT_EQ(CanonicalUri("/a//b/../c/./d"), "/a//b/../c/./d");
  EXPECT_EQ(CanonicalUri("/%7Euser/a b"), "/~user/a%20b");
  EXPECT_EQ(CanonicalUri("/a%2Fb"), "/a%2Fb");    // an encoded slash stays encoded
  EXPECT_EQ(CanonicalUri("/a%252F"), "/a%252F");  // no double decoding
  EXPECT_EQ(CanonicalUri("/a+b=c&d"), "/a%2Bb%3Dc%26d");
  EXPECT_EQ(CanonicalUri("/bad%zz"), "/bad%25zz");  // invalid escape: taken literally
  EXPECT_EQ(CanonicalUri("/b/k/"), "/b/k/");
}

TEST(SigV4, CanonicalQuerySortsByEncodedNameThenValueAndDropsSignature) {
  QueryParams q = {{"b", "2"}, {"a", "z"},    {"a", "y"}, {"X-Amz-Signature", "abc"},
                   {"A", ""},  {"c d", "e/f"}};
  EXPECT_EQ(CanonicalQueryString(q), "A=&a=y&a=z&b=2&c%20d=e%2Ff");
}

TEST(ParseAuthorizationHeader, AcceptsBothSeparatorStyles) {
  for (const char* h :
       {"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-date,Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe"
        "2855ddc963176630326f1024",
        "AWS4-HMAC-SHA256  Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe"
        "2855ddc963176630326f1024"}) {
    auto p = ParseAuthorizationHeader(h);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->access_key, "AKIAIOSFODNN7EXAMPLE");
    EXPECT_EQ(p->date, "20130524");
    EXPECT_EQ(p->region, "us-east-1");
    EXPECT_EQ(p->service, "s3");
    EXPECT_EQ(p->signed_headers, (std::vector<std::string>{"host", "range", "x-amz-date"}));
    EXPECT_EQ(p->signature, "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024");
  }
}

TEST(ParseAuthorizationHeader, RejectsSigV2AndMalformedHeaders) {
  auto v2 = ParseAuthorizationHeader("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=");
  ASSERT_FALSE(v2.ok());
  EXPECT_EQ(v2.status().s3_code(), "InvalidRequest");
  EXPECT_EQ(v2.status().http_status(), 400);

  for (const char* bad :
       {"AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3, SignedHeaders=host, Signature=x",
        "AWS4-HMAC-SHA256 Credential=AKID/2013052/us-east-1/s3/aws4_request, SignedHeaders=host, "
        "Signature=x",
        "AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, "
        "Signature=x",
        "AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request, Signature=x, "
        "Signature=y, SignedHeaders=host",
        "AWS4-HMAC-SHA256 garbage"}) {
    auto p = ParseAuthorizationHeader(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().s3_code(), "AuthorizationHeaderMalformed") << bad;
    EXPECT_EQ(p.status().http_status(), 400);
  }
  EXPECT_EQ(ParseAuthorizationHeader("Bearer xyz").status().s3_code(), "InvalidArgument");
  EXPECT_EQ(ParseAuthorizationHeader("AWS4-HMAC-SHA256").status().s3_code(), "InvalidArgument");
}

QueryParams PresignedQuery() {
  return {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
          {"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"},
          {"X-Amz-Date", "20130524T000000Z"},
          {"X-Amz-Expires", "86400"},
          {"X-Amz-SignedHeaders", "host"},
          {"X-Amz-Signature", "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"}};
}

TEST(ParsePresignedQuery, ParsesTheExample) {
  auto p = ParsePresignedQuery(PresignedQuery());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->access_key, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(p->date, "20130524");
  EXPECT_EQ(p->amz_date, "20130524T000000Z");
  EXPECT_EQ(p->expires_s, 86400);
  EXPECT_EQ(p->signed_headers, std::vector<std::string>{"host"});
  EXPECT_TRUE(p->security_token.empty());
}

TEST(ParsePresignedQuery, RejectsBadParameters) {
  auto with = [](std::string name, std::string value) {
    QueryParams q = PresignedQuery();
    for (auto& [n, v] : q) {
      if (n == name) v = value;
    }
    return ParsePresignedQuery(q);
  };
  for (auto r :
       {with("X-Amz-Expires", "604801"), with("X-Amz-Expires", "-1"), with("X-Amz-Expires", "1d"),
        with("X-Amz-Date", "2013-05-24"), with("X-Amz-Algorithm", "AWS4-HMAC-SHA1"),
        with("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3")}) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().s3_code(), "AuthorizationQueryParametersError");
    EXPECT_EQ(r.status().http_status(), 400);
  }
  EXPECT_TRUE(with("X-Amz-Expires", "604800").ok());
  QueryParams missing = PresignedQuery();
  missing.pop_back();
  EXPECT_EQ(ParsePresignedQuery(missing).status().s3_code(), "AuthorizationQueryParametersError");
}

TEST(SigV4, SignaturesEqual) {
  EXPECT_TRUE(SignaturesEqual("abc", "abc"));
  EXPECT_FALSE(SignaturesEqual("abc", "abd"));
  EXPECT_FALSE(SignaturesEqual("abc", "ab"));
  EXPECT_TRUE(SignaturesEqual("", ""));
}

TEST(SigV4, FindHeaderIsCaseInsensitive) {
  HeaderList h = {{"Content-Type", "a"}, {"content-type", "b"}};
  ASSERT_NE(FindHeader(h, "CONTENT-TYPE"), nullptr);
  EXPECT_EQ(*FindHeader(h, "CONTENT-TYPE"), "a");
  EXPECT_EQ(FindHeader(h, "host"), nullptr);
}

}  // namespace
}  // namespace ferry::s3
