// The request headers S3 operations share, read from requests built by hand.
#include "server/request_headers.h"

#include <gtest/gtest.h>

namespace ferry::server {
namespace {

class RequestHeadersTest : public ::testing::Test {
 protected:
  // An S3Request over http_ with the given query.
  S3Request With(std::string_view query = "") {
    S3Request req;
    req.http = &http_;
    auto parsed = s3::ParseQuery(query);
    EXPECT_TRUE(parsed.ok());
    if (parsed.ok()) req.query = *parsed;
    return req;
  }

  http::Request http_;
};

TEST_F(RequestHeadersTest, MetadataNamesAreLowerCasedAndRepeatsJoined) {
  http_.headers.Add("Content-Type", "image/png");
  http_.headers.Add("X-Amz-Meta-Label", "cat");
  http_.headers.Add("x-amz-meta-label", "dog");
  http_.headers.Add("x-amz-meta-", "no name: not metadata");
  auto h = ObjectHeadersFrom(With());
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->content_type, "image/png");
  ASSERT_EQ(h->user_metadata.size(), 1u);
  EXPECT_EQ(h->user_metadata.at("label"), "cat,dog");
}

TEST_F(RequestHeadersTest, OversizedMetadataAndUnknownStorageClassesAreRefused) {
  http_.headers.Add("x-amz-meta-big", std::string(2100, 'm'));
  EXPECT_EQ(ObjectHeadersFrom(With()).status().s3_code(), "MetadataTooLarge");
  http_ = {};
  http_.headers.Add("x-amz-storage-class", "standard");  // case matters, as in S3
  EXPECT_EQ(ObjectHeadersFrom(With()).status().s3_code(), "InvalidStorageClass");
  http_ = {};
  http_.headers.Add("x-amz-storage-class", "STANDARD_IA");
  auto h = ObjectHeadersFrom(With());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->storage_class, "STANDARD_IA");
}

TEST_F(RequestHeadersTest, TagsComeFromTheHeaderOrAPresignedQuery) {
  auto h = ObjectHeadersFrom(With("x-amz-tagging=team%3Dml%26stage%3Draw"));
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->tags.size(), 2u);
  http_.headers.Add("x-amz-tagging", "a=1&a=2");
  EXPECT_FALSE(ObjectHeadersFrom(With()).ok()) << "a key given twice";
}

TEST_F(RequestHeadersTest, ContentMd5MustBeBase64OfSixteenBytes) {
  auto none = ContentMd5(With());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "");
  http_.headers.Add("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(*ContentMd5(With()), "1B2M2Y8AsgTpgAmY7PhCfg==");
  for (const char* bad : {"1B2M2Y8AsgTpgAmY7PhC", "not base64 at all", "AAAA"}) {
    http_.headers.Set("Content-MD5", bad);
    EXPECT_EQ(ContentMd5(With()).status().s3_code(), "InvalidDigest") << bad;
  }
}

TEST_F(RequestHeadersTest, OneChecksumHeaderOfTheRightLength) {
  http_.headers.Add("x-amz-checksum-crc32c", "yZRlqg==");
  auto one = RequestedChecksum(With());
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ((*one)->algorithm, ChecksumAlgorithm::kCrc32c);
  http_.headers.Add("x-amz-checksum-sha1", "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
  EXPECT_EQ(RequestedChecksum(With()).status().s3_code(), "InvalidRequest") << "two of them";
  http_ = {};
  http_.headers.Add("x-amz-checksum-crc32", "AAAA");  // 3 bytes, not 4
  EXPECT_EQ(RequestedChecksum(With()).status().s3_code(), "InvalidRequest");
  http_ = {};
  http_.headers.Add("x-amz-sdk-checksum-algorithm", "SHA256");
  auto algorithm_only = RequestedChecksum(With());
  ASSERT_TRUE(algorithm_only.ok());
  EXPECT_EQ((*algorithm_only)->algorithm, ChecksumAlgorithm::kSha256);
  EXPECT_TRUE((*algorithm_only)->value.empty());
}

TEST_F(RequestHeadersTest, CopySourcesNameABucketAndAKey) {
  auto plain = ParseCopySource("/src/dir/a%20b.txt");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->bucket, "src");
  EXPECT_EQ(plain->key, "dir/a b.txt");
  auto versioned = ParseCopySource("src/k?versionId=v1");
  ASSERT_TRUE(versioned.ok());
  EXPECT_EQ(versioned->version_id, "v1");
  auto empty_version = ParseCopySource("src/k?versionId=");
  EXPECT_EQ(empty_version.status().s3_code(), "InvalidArgument") << "as S3 answers";
  EXPECT_NE(empty_version.status().message().find("Version id"), std::string::npos);
  for (const char* bad : {"src", "/src/", "/k", "src/%zz"}) {
    EXPECT_EQ(ParseCopySource(bad).status().s3_code(), "InvalidArgument") << bad;
  }
}

TEST_F(RequestHeadersTest, WriteConditionsTakeOnlyTheFormsS3Takes) {
  ErrorExtras extras;
  http_.headers.Add("If-None-Match", "*");
  auto star = WriteConditionsFrom(With(), extras);
  ASSERT_TRUE(star.ok());
  EXPECT_TRUE(star->if_none_match_star);
  http_ = {};
  http_.headers.Add("If-Match", "\"abc\"");
  auto match = WriteConditionsFrom(With(), extras);
  ASSERT_TRUE(match.ok());
  EXPECT_EQ(match->if_match_etag, "abc");
  http_.headers.Add("If-None-Match", "*");
  EXPECT_EQ(WriteConditionsFrom(With(), extras).status().s3_code(), "NotImplemented");
  EXPECT_FALSE(extras.elements.empty()) << "the answer names the header";
}

TEST_F(RequestHeadersTest, NumbersInTheQueryAreCheckedAndClamped) {
  ErrorExtras extras;
  EXPECT_EQ(*PartNumberParam(With("partNumber=10000"), extras), 10000);
  for (const char* bad : {"partNumber=0", "partNumber=10001", "partNumber=1x", "partNumber="}) {
    EXPECT_EQ(PartNumberParam(With(bad), extras).status().s3_code(), "InvalidArgument") << bad;
  }
  EXPECT_EQ(*IntQueryParam(With(), "max-keys", 1000, 0, 1000), 1000);
  EXPECT_EQ(*IntQueryParam(With("max-keys=5000"), "max-keys", 1000, 0, 1000), 1000);
  EXPECT_EQ(*IntQueryParam(With("max-keys=0"), "max-keys", 1000, 0, 1000), 0);
  EXPECT_FALSE(IntQueryParam(With("max-keys=-1"), "max-keys", 1000, 0, 1000).ok());
  EXPECT_FALSE(IntQueryParam(With("max-keys=ten"), "max-keys", 1000, 0, 1000).ok());
  EXPECT_EQ(*VersionIdParam(With()), "");
  EXPECT_EQ(VersionIdParam(With("versionId=")).status().s3_code(), "InvalidArgument");
}

}  // namespace
}  // namespace ferry::server
