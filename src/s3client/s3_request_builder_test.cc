#include "s3client/s3_request_builder.h"

#include <gtest/gtest.h>

#include "s3/sigv4.h"
#include "s3/sigv4_verifier.h"
#include "s3/uri.h"
#include "s3client/s3_store_options.h"

namespace ferry {
namespace {

S3StoreOptions Options(std::string endpoint, AddressingStyle style = AddressingStyle::kAuto) {
  S3StoreOptions o;
  o.endpoint = std::move(endpoint);
  o.region = "us-east-1";
  o.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  o.addressing = style;
  return o;
}

TEST(S3RequestBuilder, EncodesOddKeys) {
  EXPECT_EQ(EncodeKeyPath("a b/c+d%e"), "a%20b/c%2Bd%25e");
  EXPECT_EQ(EncodeKeyPath("../x/./y/.."), "%2E%2E/x/%2E/y/%2E%2E");
  EXPECT_EQ(EncodeKeyPath("a//b/"), "a//b/");
  EXPECT_EQ(EncodeKeyPath("/lead"), "/lead");
  EXPECT_EQ(EncodeKeyPath("\xe2\x82\xac~_-."), "%E2%82%AC~_-.");
  EXPECT_EQ(EncodeKeyPath("..."), "...");
  EXPECT_EQ(EncodeKeyPath("q?#&="), "q%3F%23%26%3D");
}

TEST(S3RequestBuilder, EncodesQuery) {
  EXPECT_EQ(EncodeQuery({{"uploads", ""}}), "uploads");
  EXPECT_EQ(EncodeQuery({{"prefix", "a b/+"}, {"list-type", "2"}}),
            "prefix=a%20b%2F%2B&list-type=2");
}

TEST(S3RequestBuilder, PathStyleForCustomEndpoints) {
  auto b = S3RequestBuilder::Create(Options("http://127.0.0.1:9000/"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->endpoint(), "http://127.0.0.1:9000");
  EXPECT_FALSE(b->UsesVirtualHost("bucket"));
  S3RequestSpec spec;
  spec.bucket = "bucket";
  spec.key = "dir/a b";
  spec.query = {{"uploadId", "x/y"}};
  BuiltRequest r = b->Build(spec, 1369353600);  // 2013-05-24
  EXPECT_EQ(r.url, "http://127.0.0.1:9000/bucket/dir/a%20b?uploadId=x%2Fy");
  EXPECT_EQ(r.headers.GetOr("host", ""), "127.0.0.1:9000");
  EXPECT_EQ(r.headers.GetOr("x-amz-date", ""), "20130524T000000Z");
  EXPECT_EQ(r.headers.GetOr("x-amz-content-sha256", ""), s3::kEmptySha256);
  EXPECT_TRUE(r.headers.GetOr("authorization", "")
                  .starts_with(
                      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20130524/us-east-1/s3/aws4_request, "
                      "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="));
  spec.key.clear();
  spec.query.clear();
  EXPECT_EQ(b->Build(spec, 0).url, "http://127.0.0.1:9000/bucket");
  spec.bucket.clear();
  EXPECT_EQ(b->Build(spec, 0).url, "http://127.0.0.1:9000/");
}

TEST(S3RequestBuilder, VirtualHostedForAws) {
  auto b = S3RequestBuilder::Create(Options(""));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->endpoint(), "https://s3.us-east-1.amazonaws.com");
  S3RequestSpec spec;
  spec.bucket = "my-bucket";
  spec.key = "k";
  EXPECT_EQ(b->Build(spec, 0).url, "https://my-bucket.s3.us-east-1.amazonaws.com/k");
  // Dots break the wildcard certificate, upper case is not a host name: path style.
  spec.bucket = "my.bucket";
  EXPECT_EQ(b->Build(spec, 0).url, "https://s3.us-east-1.amazonaws.com/my.bucket/k");
  auto forced =
      S3RequestBuilder::Create(Options("http://localhost:9000", AddressingStyle::kVirtualHosted));
  ASSERT_TRUE(forced.ok());
  spec.bucket = "bkt";
  BuiltRequest r = forced->Build(spec, 0);
  EXPECT_EQ(r.url, "http://bkt.localhost:9000/k");
  EXPECT_EQ(r.headers.GetOr("host", ""), "bkt.localhost:9000");
  auto path = S3RequestBuilder::Create(Options("", AddressingStyle::kPath));
  EXPECT_EQ(path->Build(spec, 0).url, "https://s3.us-east-1.amazonaws.com/bkt/k");
}

TEST(S3RequestBuilder, BasePathAndBadEndpoints) {
  auto b = S3RequestBuilder::Create(Options("https://gw.example/s3/"));
  ASSERT_TRUE(b.ok());
  S3RequestSpec spec;
  spec.bucket = "b";
  spec.key = "k";
  EXPECT_EQ(b->Build(spec, 0).url, "https://gw.example/s3/b/k");
  EXPECT_FALSE(S3RequestBuilder::Create(Options("127.0.0.1:9000")).ok());
  EXPECT_FALSE(S3RequestBuilder::Create(Options("ftp://x")).ok());
  EXPECT_FALSE(S3RequestBuilder::Create(Options("http://")).ok());
}

TEST(S3RequestBuilder, SessionTokenAndAnonymous) {
  S3StoreOptions o = Options("http://h");
  o.credentials.session_token = "TOKEN";
  auto b = S3RequestBuilder::Create(o);
  S3RequestSpec spec;
  spec.bucket = "b";
  BuiltRequest r = b->Build(spec, 0);
  EXPECT_EQ(r.headers.GetOr("x-amz-security-token", ""), "TOKEN");
  EXPECT_NE(r.headers.GetOr("authorization", "").find("x-amz-security-token"), std::string::npos);
  o.credentials = {};
  auto anon = S3RequestBuilder::Create(o);
  EXPECT_FALSE(anon->Build(spec, 0).headers.Has("authorization"));
}

// The signature verifies on the server side for keys that tend to break signers.
TEST(S3RequestBuilder, SignaturesVerify) {
  S3StoreOptions o = Options("http://127.0.0.1:9000");
  auto b = S3RequestBuilder::Create(o);
  ASSERT_TRUE(b.ok());
  for (std::string key : {"plain", "a b+c", "100%", "../up", "a//b/", "./", "\xc3\xa9t\xc3\xa9",
                          "q?x=1&y", "~tilde*star'quote(paren)"}) {
    S3RequestSpec spec;
    spec.method = "PUT";
    spec.bucket = "bkt";
    spec.key = key;
    spec.query = {{"partNumber", "1"}, {"uploadId", "a+b/c="}};
    spec.headers = {{"x-amz-meta-note", "  two  spaces "}, {"Content-Type", "text/plain"}};
    spec.payload_hash = std::string(s3::kUnsignedPayload);
    BuiltRequest r = b->Build(spec, 1700000000);
    s3::SignableRequest received;
    received.method = "PUT";
    std::string target = r.url.substr(std::string("http://127.0.0.1:9000").size());
    auto q = target.find('?');
    received.path = target.substr(0, q);
    auto query = s3::ParseQuery(target.substr(q + 1));
    ASSERT_TRUE(query.ok());
    received.query = *query;
    EXPECT_EQ(*s3::UriDecode(received.path), "/bkt/" + key);
    for (const auto& f : r.headers.fields()) received.headers.emplace_back(f.name, f.value);
    s3::Verifier::Options vo;
    vo.lookup = [&](std::string_view) -> Result<std::string> {
      return o.credentials.secret_access_key;
    };
    ManualClock clock(int64_t{1700000000} * 1'000'000'000);
    vo.clock = &clock;
    s3::Verifier verifier(vo);
    auto verified = verifier.Verify(received);
    EXPECT_TRUE(verified.ok()) << key << ": " << verified.status().ToString();
  }
}

TEST(S3StoreOptions, ChoosePartSize) {
  constexpr uint64_t MiB = 1 << 20;
  EXPECT_EQ(ChoosePartSize(0, 16 * MiB), 16 * MiB);
  EXPECT_EQ(ChoosePartSize(100, 1), 5 * MiB);  // at least 5 MiB
  EXPECT_EQ(ChoosePartSize(100, uint64_t{6} << 30), kMaxPartSize);
  EXPECT_EQ(ChoosePartSize(10'000 * 16 * MiB, 16 * MiB), 16 * MiB);
  uint64_t big = 10'000 * 16 * MiB + 1;
  uint64_t p = ChoosePartSize(big, 16 * MiB);
  EXPECT_EQ(p, 17 * MiB);
  EXPECT_LE((big + p - 1) / p, 10'000u);
  uint64_t five_tib = uint64_t{5} << 40;
  p = ChoosePartSize(five_tib, 8 * MiB);
  EXPECT_LE((five_tib + p - 1) / p, 10'000u);
  EXPECT_EQ(p % MiB, 0u);
  EXPECT_EQ(ChoosePartSize(uint64_t{1} << 50, 8 * MiB), kMaxPartSize);
}

TEST(S3StoreOptions, FromAwsConfig) {
  AwsConfig c;
  c.access_key_id = "AK";
  c.secret_access_key = "SK";
  c.session_token = "ST";
  c.region = "eu-west-1";
  c.endpoint_url = "http://127.0.0.1:9000";
  c.addressing_style = "virtual";
  S3StoreOptions o = S3StoreOptionsFromAwsConfig(c);
  EXPECT_EQ(o.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(o.region, "eu-west-1");
  EXPECT_EQ(o.credentials.session_token, "ST");
  EXPECT_EQ(o.addressing, AddressingStyle::kVirtualHosted);
  c.addressing_style = "path";
  EXPECT_EQ(S3StoreOptionsFromAwsConfig(c).addressing, AddressingStyle::kPath);
  c.addressing_style = "";
  c.region = "";
  EXPECT_EQ(S3StoreOptionsFromAwsConfig(c).addressing, AddressingStyle::kAuto);
  EXPECT_EQ(S3StoreOptionsFromAwsConfig(c).region, "us-east-1");
  EXPECT_EQ(S3StoreOptionsFromAwsConfig(c).checksum_algorithm, ChecksumAlgorithm::kCrc32c);
}

}  // namespace
}  // namespace ferry
