#include "s3/sigv2.h"

#include <gtest/gtest.h>

namespace ferry::s3 {
namespace {

// The example of AWS's "Signing and authenticating REST requests".
TEST(SigV2Test, AwsDocumentationExample) {
  const HeaderList headers = {{"Host", "awsexamplebucket1.us-west-1.s3.amazonaws.com"},
                              {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}};
  const std::string resource = V2CanonicalResource("awsexamplebucket1", "/photos/puppy.jpg", "");
  EXPECT_EQ(resource, "/awsexamplebucket1/photos/puppy.jpg");
  const std::string text =
      V2StringToSign("GET", headers, "Tue, 27 Mar 2007 19:36:42 +0000", resource);
  EXPECT_EQ(text, "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg");
  EXPECT_EQ(V2Signature("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", text),
            "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=");
}

TEST(SigV2Test, AmzHeadersAndSubresourcesAreCanonical) {
  const HeaderList headers = {{"X-Amz-Meta-ReviewedBy", "joe@example.com"},
                              {"x-amz-meta-reviewedby", "jane@example.com"},
                              {"X-Amz-Date", " Tue, 27 Mar 2007 21:06:08 +0000 "},
                              {"Content-Type", "application/x-download"},
                              {"Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="}};
  EXPECT_EQ(V2CanonicalAmzHeaders(headers),
            "x-amz-date:Tue, 27 Mar 2007 21:06:08 +0000\n"
            "x-amz-meta-reviewedby:joe@example.com,jane@example.com\n");
  EXPECT_EQ(V2StringToSign("PUT", headers, "", "/b/k"),
            "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\n\n"
            "x-amz-date:Tue, 27 Mar 2007 21:06:08 +0000\n"
            "x-amz-meta-reviewedby:joe@example.com,jane@example.com\n/b/k");
  // Only the sub-resources S3 signs, sorted, values decoded, "?uploads" kept without '='.
  EXPECT_EQ(V2CanonicalResource("", "/b/k%20x", "versionId=a%2Bb&uploads&prefix=p&acl="),
            "/b/k%20x?acl=&uploads&versionId=a+b");
  EXPECT_EQ(V2CanonicalResource("", "/b", "list-type=2&AWSAccessKeyId=x&Signature=y"), "/b");
  EXPECT_EQ(V2CanonicalResource("b", "", ""), "/b/");
}

TEST(SigV2Test, BotocoresResourcesAreCandidatesToo) {
  EXPECT_EQ(V2SignedResources("", "/b", ""), (std::vector<std::string>{"/b", "/b/"}));
  EXPECT_EQ(V2SignedResources("", "/b", "list-type=2&prefix=&encoding-type=url"),
            (std::vector<std::string>{"/b", "/b?list-type=2"}));
  EXPECT_EQ(V2SignedResources("", "/b/k", "uploads"),
            (std::vector<std::string>{"/b/k?uploads", "/b/k?uploads?uploads"}));
  EXPECT_EQ(V2SignedResources("b", "/k", "acl"), (std::vector<std::string>{"/b/k?acl"}));
}

}  // namespace
}  // namespace ferry::s3
