#include "s3/post_policy.h"

#include <gtest/gtest.h>

#include "core/checksum.h"

namespace ferry::s3 {
namespace {

constexpr int64_t kNow = int64_t{1'800'000'000} * 1'000'000'000;  // 2027-01-15

std::string Encoded(const std::string& json) {
  return Base64Encode(json);
}

const std::string kPolicy = Encoded(R"({"expiration": "2027-06-01T00:00:00.000Z",
  "conditions": [{"bucket": "labels"}, ["starts-with", "$key", "uploads/"],
                 {"acl": "private"}, ["eq", "$X-Amz-Meta-Tool", "labeller"],
                 ["starts-with", "$Content-Type", "image/"],
                 ["content-length-range", 1, 1048576]]})");

std::map<std::string, std::string> Fields() {
  return {{"bucket", "labels"},
          {"key", "uploads/${filename}"},
          {"acl", "private"},
          {"x-amz-meta-tool", "labeller"},
          {"content-type", "image/png"},
          {"policy", kPolicy},
          {"x-amz-signature", "abc"},
          {"x-ignore-me", "1"}};
}

std::string CodeOf(const Status& s) {
  return s.ok() ? "ok" : s.s3_code() + ": " + s.message();
}

TEST(PostPolicyTest, EveryConditionIsEnforced) {
  auto p = ParsePostPolicy(kPolicy);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->min_length, 1u);
  EXPECT_EQ(p->max_length, 1048576u);
  EXPECT_EQ(CodeOf(CheckPostFields(*p, Fields(), kNow)), "ok");
  auto with = [&](const std::string& name, const std::string& value) {
    auto f = Fields();
    f[name] = value;
    return CodeOf(CheckPostFields(*p, f, kNow));
  };
  EXPECT_EQ(with("bucket", "other"),
            "AccessDenied: Invalid according to Policy: Policy Condition failed: "
            "[\"eq\", \"$bucket\", \"labels\"]");
  EXPECT_EQ(with("key", "elsewhere/x").substr(0, 12), "AccessDenied");
  EXPECT_EQ(with("x-amz-meta-tool", "other").substr(0, 12), "AccessDenied");
  EXPECT_EQ(with("content-type", "image/png, text/html").substr(0, 12), "AccessDenied");
  EXPECT_EQ(with("content-type", "image/png, image/jpeg"), "ok");
  EXPECT_EQ(with("x-amz-meta-extra", "1"),
            "AccessDenied: Invalid according to Policy: Extra input fields: x-amz-meta-extra");
  auto missing = Fields();
  missing.erase("acl");
  EXPECT_EQ(CodeOf(CheckPostFields(*p, missing, kNow)).substr(0, 12), "AccessDenied");
  EXPECT_EQ(CodeOf(CheckPostFields(*p, Fields(), int64_t{1'900'000'000} * 1'000'000'000)),
            "AccessDenied: Invalid according to Policy: Policy expired.");
  EXPECT_EQ(CodeOf(CheckPostLength(*p, 0)).substr(0, 14), "EntityTooSmall");
  EXPECT_EQ(CodeOf(CheckPostLength(*p, 1048577)).substr(0, 14), "EntityTooLarge");
  EXPECT_EQ(CodeOf(CheckPostLength(*p, 1048576)), "ok");
}

TEST(PostPolicyTest, BadDocumentsAreInvalid) {
  for (const std::string& bad :
       {std::string("not base64!"), Encoded("not json"), Encoded("[]"),
        Encoded(R"({"conditions": []})"), Encoded(R"({"expiration": "soon", "conditions": []})"),
        Encoded(R"({"expiration": "2027-06-01T00:00:00Z"})"),
        Encoded(R"({"expiration": "2027-06-01T00:00:00Z", "conditions": [["in", "$key", "a"]]})"),
        Encoded(R"({"expiration": "2027-06-01T00:00:00Z", "conditions": [{"a": "1", "b": "2"}]})"),
        Encoded(R"({"expiration": "2027-06-01T00:00:00Z", "conditions": [["eq", "$key"]]})"),
        Encoded(R"({"expiration": "2027-06-01T00:00:00Z",
                    "conditions": [["content-length-range", -1, 5]]})")}) {
    EXPECT_EQ(ParsePostPolicy(bad).status().s3_code(), "InvalidPolicyDocument") << bad;
  }
}

}  // namespace
}  // namespace ferry::s3
