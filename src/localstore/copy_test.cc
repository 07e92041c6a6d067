// LocalStore::CopyObject.
#include <gtest/gtest.h>

#include "core/checksum.h"
#include "localstore/local_store.h"
#include "testing/store_test_util.h"

namespace ferry {
namespace {

using testing::Bytes;
using testing::Md5Hex;
using testing::Put;
using testing::ReadAll;

class CopyTest : public ::testing::Test {
 protected:
  CopyTest() : clock_(1700000000LL * 1000000000) {
    options_ = testing::FastOptions();
    options_.inline_threshold = 1000;
    auto s = LocalStore::Open(dir_.path() + "/root", clock_, options_);
    EXPECT_TRUE(s.ok());
    store_ = std::move(s).value();
    EXPECT_TRUE(store_->CreateBucket("src").ok());
    EXPECT_TRUE(store_->CreateBucket("dst").ok());
  }
  testing::TempDir dir_;
  ManualClock clock_;
  LocalStoreOptions options_;
  std::unique_ptr<LocalStore> store_;
};

TEST_F(CopyTest, CopiesDataAndMetadata) {
  auto& s = *store_;
  for (size_t n : {size_t{10}, size_t{999}, size_t{5000}, size_t{9 << 20}}) {
    std::string body = Bytes(n, n);
    PutObjectRequest req;
    req.headers.content_type = "text/x";
    req.headers.user_metadata = {{"a", "1"}};
    req.checksum = ObjectChecksum{ChecksumAlgorithm::kCrc32c, ""};
    ASSERT_TRUE(Put(s, "src", "obj", body, req).ok());
    CopyObjectRequest copy{"src", "obj", "dst", "copy/" + std::to_string(n)};
    auto meta = s.CopyObject(copy);
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    EXPECT_EQ(meta->etag, Md5Hex(body));
    EXPECT_EQ(meta->size, n);
    EXPECT_EQ(meta->checksum->value, Base64Encode(Digest(DigestKind::kCrc32c, body)));
    auto head = s.HeadObject("dst", copy.dst_key);
    EXPECT_EQ(head->headers.content_type, "text/x");
    EXPECT_EQ(head->headers.user_metadata.at("a"), "1");
    auto got = ReadAll(s, "dst", copy.dst_key);
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(*got == body) << n;
  }
}

TEST_F(CopyTest, ReplaceMetadataAndSameKey) {
  auto& s = *store_;
  PutObjectRequest req;
  req.headers.content_type = "text/old";
  ASSERT_TRUE(Put(s, "src", "k", Bytes(4000, 1), req).ok());
  CopyObjectRequest same{"src", "k", "src", "k"};
  EXPECT_EQ(s.CopyObject(same).status().s3_code(), "InvalidRequest");
  same.replace_metadata = true;
  same.headers.content_type = "text/new";
  same.headers.user_metadata = {{"n", "2"}};
  auto meta = s.CopyObject(same);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  auto head = s.HeadObject("src", "k");
  EXPECT_EQ(head->headers.content_type, "text/new");
  EXPECT_EQ(head->headers.user_metadata.at("n"), "2");
  EXPECT_TRUE(*ReadAll(s, "src", "k") == Bytes(4000, 1));
  // Storage class alone may change too.
  CopyObjectRequest cls{"src", "k", "src", "k"};
  cls.headers.storage_class = "GLACIER";
  ASSERT_TRUE(s.CopyObject(cls).ok());
  EXPECT_EQ(s.HeadObject("src", "k")->headers.storage_class, "GLACIER");
  EXPECT_EQ(s.HeadObject("src", "k")->headers.content_type, "text/new");
}

TEST_F(CopyTest, SourceConditions) {
  auto& s = *store_;
  auto put = Put(s, "src", "k", "data");
  ASSERT_TRUE(put.ok());
  int64_t t = put->last_modified_ns / 1000000000;
  auto copy = [&](auto mutate) {
    CopyObjectRequest r{"src", "k", "dst", "k"};
    mutate(r);
    return s.CopyObject(r).status();
  };
  EXPECT_TRUE(copy([&](auto& r) { r.if_match = "\"" + put->etag + "\""; }).ok());
  EXPECT_EQ(copy([&](auto& r) { r.if_match = "nope"; }).s3_code(), "PreconditionFailed");
  EXPECT_EQ(copy([&](auto& r) { r.if_none_match = put->etag; }).s3_code(), "PreconditionFailed");
  EXPECT_TRUE(copy([&](auto& r) { r.if_none_match = "other"; }).ok());
  EXPECT_TRUE(copy([&](auto& r) { r.if_modified_since_s = t - 1; }).ok());
  EXPECT_EQ(copy([&](auto& r) { r.if_modified_since_s = t; }).s3_code(), "PreconditionFailed");
  EXPECT_TRUE(copy([&](auto& r) { r.if_unmodified_since_s = t; }).ok());
  EXPECT_EQ(copy([&](auto& r) { r.if_unmodified_since_s = t - 1; }).s3_code(),
            "PreconditionFailed");
  // If-Match true wins over If-Unmodified-Since false.
  EXPECT_TRUE(copy([&](auto& r) {
                r.if_match = put->etag;
                r.if_unmodified_since_s = t - 1;
              }).ok());
  EXPECT_EQ(s.CopyObject({"src", "missing", "dst", "k"}).status().s3_code(), "NoSuchKey");
  EXPECT_EQ(s.CopyObject({"src", "k", "nobucket", "k"}).status().s3_code(), "NoSuchBucket");
}

}  // namespace
}  // namespace ferry
