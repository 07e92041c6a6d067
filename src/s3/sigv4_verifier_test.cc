#include "s3/sigv4_verifier.h"

#include "s3/sigv2.h"

#include <gtest/gtest.h>

#include "core/checksum.h"
#include "s3/http_date.h"

namespace ferry::s3 {
namespace {

// The AWS S3 documentation examples use these credentials at 2013-05-24T00:00:00Z.
constexpr char kAccessKey[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr int64_t kDocTime = 1369353600;  // 20130524T000000Z
constexpr int64_t kMinute = 60;

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() : clock_(kDocTime * kNanosPerSecond) {}

  Verifier MakeVerifier(std::string region = "", bool require_signed = true) {
    Verifier::Options o;
    o.clock = &clock_;
    o.region = std::move(region);
    o.require_signed_amz_headers = require_signed;
    o.lookup = [this](std::string_view key) -> Result<std::string> {
      if (lookup_error_) return *lookup_error_;
      if (key == kAccessKey) return secret_;
      return Status::NotFound("no such key");
    };
    return Verifier(std::move(o));
  }

  void At(int64_t seconds) { clock_.Set(seconds * kNanosPerSecond); }

  // "GET Object" from "Signature Calculations for the Authorization Header: Transferring
  // Payload in a Single Chunk", with the documented Authorization header.
  static SignableRequest DocGetObject() {
    SignableRequest r;
    r.method = "GET";
    r.path = "/test.txt";
    r.headers = {
        {"Host", "examplebucket.s3.amazonaws.com"},
        {"Range", "bytes=0-9"},
        {"x-amz-content-sha256", std::string(kEmptySha256)},
        {"x-amz-date", "20130524T000000Z"},
        {"Authorization",
         "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
         "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
         "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"}};
    return r;
  }

  // The presigned GET of "Authenticating Requests: Using Query Parameters".
  static SignableRequest DocPresignedGet() {
    SignableRequest r;
    r.method = "GET";
    r.path = "/test.txt";
    r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
    r.query = {
        {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
        {"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"},
        {"X-Amz-Date", "20130524T000000Z"},
        {"X-Amz-Expires", "86400"},
        {"X-Amz-SignedHeaders", "host"},
        {"X-Amz-Signature", "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"}};
    return r;
  }

  // A request signed here with Sign(); the tests then tamper with it.
  static SignableRequest SignedPut(std::string amz_date = "20130524T000000Z") {
    SignableRequest r;
    r.method = "PUT";
    r.path = "/bucket/dir/a%20b.txt";
    r.query = {{"x-id", "PutObject"}};
    r.payload_hash = HexEncode(Digest(DigestKind::kSha256, "hello"));
    r.headers = {{"Host", "127.0.0.1:9000"},
                 {"Content-Type", "text/plain"},
                 {"x-amz-content-sha256", r.payload_hash},
                 {"x-amz-date", amz_date},
                 {"x-amz-meta-color", "blue"}};
    SigningParams p;
    p.credentials = {kAccessKey, kSecret, ""};
    p.amz_date = amz_date;
    r.headers.emplace_back("Authorization", Sign(r, p));
    return r;
  }

  static void SetHeader(SignableRequest& r, std::string_view name, std::string value) {
    for (auto& [n, v] : r.headers) {
      if (n == name) {
        v = std::move(value);
        return;
      }
    }
    r.headers.emplace_back(std::string(name), std::move(value));
  }

  static void RemoveHeader(SignableRequest& r, std::string_view name) {
    std::erase_if(r.headers, [&](const auto& h) { return h.first == name; });
  }

  static std::string Code(const Result<AuthContext>& r) {
    return r.ok() ? "OK" : r.status().s3_code();
  }

  ManualClock clock_;
  std::string secret_ = kSecret;
  std::optional<Status> lookup_error_;
};

TEST_F(VerifierTest, AcceptsTheDocumentedGetObject) {
  auto ctx = MakeVerifier().Verify(DocGetObject());
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->access_key, kAccessKey);
  EXPECT_EQ(ctx->region, "us-east-1");
  EXPECT_EQ(ctx->service, "s3");
  EXPECT_EQ(ctx->amz_date, "20130524T000000Z");
  EXPECT_EQ(ctx->scope, "20130524/us-east-1/s3/aws4_request");
  EXPECT_EQ(ctx->signing_key, SigningKey(kSecret, "20130524", "us-east-1", "s3"));
  EXPECT_EQ(ctx->seed_signature,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kSha256);
  EXPECT_EQ(ctx->payload_sha256, kEmptySha256);
  EXPECT_FALSE(ctx->presigned);
}

TEST_F(VerifierTest, AcceptsTheDocumentedStreamingPut) {
  // "Signature Calculation: Transfer Payload in Multiple Chunks": the seed signature.
  SignableRequest r;
  r.method = "PUT";
  r.path = "/examplebucket/chunkObject.txt";
  r.headers = {
      {"Host", "s3.amazonaws.com"},
      {"x-amz-date", "20130524T000000Z"},
      {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
       "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
       "x-amz-decoded-content-length;x-amz-storage-class,"
       "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"},
      {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
      {"Content-Encoding", "aws-chunked"},
      {"x-amz-decoded-content-length", "66560"},
      {"Content-Length", "66824"}};
  auto ctx = MakeVerifier("us-east-1").Verify(r);
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kStreamingSigned);
  EXPECT_EQ(ctx->seed_signature,
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  EXPECT_TRUE(ctx->payload_sha256.empty());
}

TEST_F(VerifierTest, AcceptsTheDocumentedPresignedGet) {
  for (int64_t t : {kDocTime, kDocTime + 86400, kDocTime - 14 * kMinute}) {
    At(t);
    auto ctx = MakeVerifier().Verify(DocPresignedGet());
    ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
    EXPECT_TRUE(ctx->presigned);
    EXPECT_EQ(ctx->payload_mode, PayloadMode::kUnsigned);
    EXPECT_EQ(ctx->seed_signature,
              "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  }
}

TEST_F(VerifierTest, PresignedExpiry) {
  At(kDocTime + 86401);
  auto expired = MakeVerifier().Verify(DocPresignedGet());
  EXPECT_EQ(Code(expired), "AccessDenied");
  EXPECT_EQ(expired.status().message(), "Request has expired");
  EXPECT_EQ(expired.status().http_status(), 403);

  At(kDocTime - 16 * kMinute);
  auto early = MakeVerifier().Verify(DocPresignedGet());
  EXPECT_EQ(Code(early), "AccessDenied");
  EXPECT_EQ(early.status().message(), "Request is not valid yet");
}

TEST_F(VerifierTest, PresignedTampering) {
  SignableRequest r = DocPresignedGet();
  r.path = "/test2.txt";
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "SignatureDoesNotMatch");

  r = DocPresignedGet();
  r.query.emplace_back("response-content-type", "text/html");
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "SignatureDoesNotMatch");

  r = DocPresignedGet();
  r.query[3].second = "604800";  // a longer life than was signed
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "SignatureDoesNotMatch");

  r = DocPresignedGet();
  r.query[3].second = "604801";
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "AuthorizationQueryParametersError");

  r = DocPresignedGet();
  r.headers.emplace_back("x-amz-acl", "public-read");  // present but not signed
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "AccessDenied");

  // An unsigned x-amz-content-sha256 header has no say in a presigned request.
  r = DocPresignedGet();
  r.headers.emplace_back("x-amz-content-sha256", std::string(kEmptySha256));
  auto ctx = MakeVerifier().Verify(r);
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kUnsigned);
}

TEST_F(VerifierTest, PresignRoundTripWithSessionToken) {
  SignableRequest r;
  r.method = "PUT";
  r.path = "/bucket/k%2Bey";
  r.headers = {{"host", "localhost:9000"}, {"x-amz-meta-a", "1"}};
  SigningParams p;
  p.credentials = {kAccessKey, kSecret, "token/with+chars=="};
  p.amz_date = FormatAmzDate(kDocTime);
  p.region = "eu-west-1";
  auto query = ParseQuery(Presign(r, p, 3600));
  ASSERT_TRUE(query.ok());
  r.query = *query;
  At(kDocTime + 600);
  auto ctx = MakeVerifier("eu-west-1").Verify(r);
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->security_token, "token/with+chars==");
  EXPECT_EQ(ctx->region, "eu-west-1");

  // The security token is signed.
  for (auto& [n, v] : r.query) {
    if (n == "X-Amz-Security-Token") v = "other";
  }
  EXPECT_EQ(Code(MakeVerifier("eu-west-1").Verify(r)), "SignatureDoesNotMatch");
}

TEST_F(VerifierTest, SignRoundTrip) {
  auto ctx = MakeVerifier().Verify(SignedPut());
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kSha256);
  EXPECT_EQ(ctx->payload_sha256, HexEncode(Digest(DigestKind::kSha256, "hello")));
}

TEST_F(VerifierTest, RejectsTamperedRequests) {
  SignableRequest r = SignedPut();
  SetHeader(r, "x-amz-meta-color", "red");
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "SignatureDoesNotMatch");

  r = SignedPut();
  SetHeader(r, "Content-Type", "text/html");
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "SignatureDoesNotMatch");

  r = SignedPut();
  r.path = "/bucket/dir/a%20c.txt";
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "SignatureDoesNotMatch");

  r = SignedPut();
  r.method = "DELETE";
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "SignatureDoesNotMatch");

  r = SignedPut();
  r.query.emplace_back("acl", "");
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "SignatureDoesNotMatch");

  r = SignedPut();
  SetHeader(r, "x-amz-content-sha256", std::string(kUnsignedPayload));
  auto s = MakeVerifier().Verify(r);
  EXPECT_EQ(Code(s), "SignatureDoesNotMatch");
  EXPECT_EQ(s.status().http_status(), 403);
}

TEST_F(VerifierTest, RejectsWrongSecretAndUnknownKey) {
  secret_ = "not-the-secret";
  EXPECT_EQ(Code(MakeVerifier().Verify(SignedPut())), "SignatureDoesNotMatch");

  SignableRequest r = DocGetObject();
  SetHeader(r, "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDUNKNOWN/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=00");
  auto unknown = MakeVerifier().Verify(r);
  EXPECT_EQ(Code(unknown), "InvalidAccessKeyId");
  EXPECT_EQ(unknown.status().http_status(), 403);

  lookup_error_ = Status::IOError("credential store unreadable");
  auto failed = MakeVerifier().Verify(DocGetObject());
  EXPECT_EQ(failed.status().http_status(), 500);
}

TEST_F(VerifierTest, ClockSkew) {
  for (int64_t delta : {-15 * kMinute, 15 * kMinute}) {
    At(kDocTime + delta);
    EXPECT_EQ(Code(MakeVerifier().Verify(DocGetObject())), "OK") << delta;
  }
  for (int64_t delta : {-15 * kMinute - 1, 15 * kMinute + 1, 86400 * int64_t{365}}) {
    At(kDocTime + delta);
    auto r = MakeVerifier().Verify(DocGetObject());
    EXPECT_EQ(Code(r), "RequestTimeTooSkewed") << delta;
    EXPECT_EQ(r.status().http_status(), 403);
  }
}

TEST_F(VerifierTest, DateHeaderInsteadOfXAmzDate) {
  SignableRequest r;
  r.method = "GET";
  r.path = "/b/k";
  r.payload_hash = std::string(kUnsignedPayload);
  r.headers = {
      {"Host", "h"}, {"Date", FormatHttpDate(kDocTime)}, {"x-amz-content-sha256", r.payload_hash}};
  SigningParams p;
  p.credentials = {kAccessKey, kSecret, ""};
  p.amz_date = FormatAmzDate(kDocTime);
  r.headers.emplace_back("Authorization", Sign(r, p));
  auto ctx = MakeVerifier().Verify(r);
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kUnsigned);

  RemoveHeader(r, "Date");
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "AccessDenied");
}

TEST_F(VerifierTest, MissingOrInvalidContentSha256) {
  SignableRequest r = DocGetObject();
  RemoveHeader(r, "x-amz-content-sha256");
  auto missing = MakeVerifier().Verify(r);
  EXPECT_EQ(Code(missing), "InvalidRequest");
  EXPECT_EQ(missing.status().http_status(), 400);

  r = DocGetObject();
  SetHeader(r, "x-amz-content-sha256", "not-a-hash");
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "InvalidArgument");

  r = DocGetObject();
  SetHeader(r, "x-amz-content-sha256", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD");
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "NotImplemented");
}

TEST_F(VerifierTest, UnsignedAmzHeadersAreRefusedUnlessAllowed) {
  SignableRequest r = DocGetObject();
  r.headers.emplace_back("x-amz-meta-extra", "1");
  auto refused = MakeVerifier().Verify(r);
  EXPECT_EQ(Code(refused), "AccessDenied");
  EXPECT_NE(refused.status().message().find("x-amz-meta-extra"), std::string::npos);
  EXPECT_EQ(Code(MakeVerifier("", /*require_signed=*/false).Verify(r)), "OK");
  // Other unsigned headers are fine.
  r = DocGetObject();
  r.headers.emplace_back("User-Agent", "test");
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "OK");
}

TEST_F(VerifierTest, RegionServiceAndCredentialDate) {
  EXPECT_EQ(Code(MakeVerifier("us-east-1").Verify(DocGetObject())), "OK");
  auto wrong_region = MakeVerifier("eu-west-1").Verify(DocGetObject());
  EXPECT_EQ(Code(wrong_region), "AuthorizationHeaderMalformed");
  EXPECT_EQ(wrong_region.status().http_status(), 400);

  SignableRequest r = DocGetObject();
  std::string auth = *FindHeader(r.headers, "Authorization");
  SetHeader(r, "Authorization", auth.replace(auth.find("/s3/"), 4, "/iam/"));
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "AuthorizationHeaderMalformed");

  r = DocGetObject();
  auth = *FindHeader(r.headers, "Authorization");
  SetHeader(r, "Authorization", auth.replace(auth.find("20130524"), 8, "20130523"));
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "AuthorizationHeaderMalformed");
}

// A SignedHeaders list repeating or disordering names is refused before any hashing (a
// request repeating one name thousands of times cost a quarter second of CPU).
TEST_F(VerifierTest, SignedHeadersAreSortedAndUnique) {
  SignableRequest r = DocGetObject();
  std::string auth = *FindHeader(r.headers, "Authorization");
  std::string names = "host;";
  for (int i = 0; i < 2000; ++i) names += "host;";
  std::string many = auth;
  many.replace(many.find("SignedHeaders=") + 14, 0, names);
  std::string unsorted = auth;
  size_t at = unsorted.find("SignedHeaders=") + 14;
  size_t end = unsorted.find(',', at);
  unsorted.replace(at, end - at, "x-amz-date;host;range;x-amz-content-sha256");
  for (const std::string& bad : {many, unsorted}) {
    SetHeader(r, "Authorization", bad);
    EXPECT_EQ(Code(MakeVerifier().Verify(r)), "AuthorizationHeaderMalformed");
  }
}

TEST_F(VerifierTest, AuthenticationKinds) {
  SignableRequest anonymous;
  anonymous.method = "GET";
  anonymous.path = "/b/k";
  anonymous.headers = {{"Host", "h"}};
  EXPECT_EQ(DetectAuthKind(anonymous), AuthKind::kAnonymous);
  EXPECT_EQ(Code(MakeVerifier().Verify(anonymous)), "AccessDenied");

  EXPECT_EQ(DetectAuthKind(DocGetObject()), AuthKind::kHeader);
  EXPECT_EQ(DetectAuthKind(DocPresignedGet()), AuthKind::kPresigned);

  SignableRequest v2 = anonymous;
  v2.headers.emplace_back("Authorization", "AWS AKIAIOSFODNN7EXAMPLE:c2lnbmF0dXJl");
  EXPECT_EQ(DetectAuthKind(v2), AuthKind::kSigV2);
  EXPECT_EQ(Code(MakeVerifier().Verify(v2)), "AccessDenied");  // no date

  SignableRequest v2_query = anonymous;
  v2_query.query = {{"AWSAccessKeyId", "AKIAIOSFODNN7EXAMPLE"},
                    {"Expires", "1141889120"},
                    {"Signature", "vjbyPxybdZaNmGa+yT272YEAiv4="}};
  EXPECT_EQ(DetectAuthKind(v2_query), AuthKind::kSigV2);
  EXPECT_EQ(Code(MakeVerifier().Verify(v2_query)), "AccessDenied");  // expired in 2006
  Verifier::Options v4_only;
  v4_only.lookup = [](std::string_view) -> Result<std::string> { return std::string("s"); };
  v4_only.allow_sigv2 = false;
  EXPECT_EQ(Code(Verifier(v4_only).Verify(v2)), "InvalidRequest");
  EXPECT_EQ(Code(Verifier(v4_only).Verify(v2_query)), "InvalidRequest");

  SignableRequest both = DocPresignedGet();
  both.headers.emplace_back("Authorization", *FindHeader(DocGetObject().headers, "Authorization"));
  EXPECT_EQ(Code(MakeVerifier().Verify(both)), "InvalidArgument");
}

// SigV2: the example of AWS's "Signing and authenticating REST requests" (virtual-hosted),
// the same as a presigned URL, and what goes wrong.
TEST_F(VerifierTest, SigV2HeaderAndQuery) {
  const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  secret_ = secret;
  At(1175024202);  // Tue, 27 Mar 2007 19:36:42 GMT
  SignableRequest req;
  req.method = "GET";
  req.path = "/photos/puppy.jpg";
  req.virtual_host_bucket = "awsexamplebucket1";
  req.headers = {{"Host", "awsexamplebucket1.us-west-1.s3.amazonaws.com"},
                 {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"},
                 {"Authorization",
                  std::string("AWS ") + std::string(kAccessKey) + ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g="}};
  auto ok = MakeVerifier().Verify(req);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->access_key, kAccessKey);
  EXPECT_EQ(ok->payload_mode, PayloadMode::kUnsigned);

  SignableRequest tampered = req;
  tampered.path = "/photos/kitten.jpg";
  std::string signed_text;
  EXPECT_EQ(Code(MakeVerifier().Verify(tampered, &signed_text)), "SignatureDoesNotMatch");
  EXPECT_EQ(signed_text,
            "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/kitten.jpg");
  At(1175024202 + 3600);
  EXPECT_EQ(Code(MakeVerifier().Verify(req)), "RequestTimeTooSkewed");

  SignableRequest query;
  query.method = "GET";
  query.path = "/awsexamplebucket1/photos/puppy.jpg";
  query.raw_query = "AWSAccessKeyId=x&Expires=1175139620&Signature=y";
  const std::string signature =
      V2Signature(secret, "GET\n\n\n1175139620\n/awsexamplebucket1/photos/puppy.jpg");
  query.query = {{"AWSAccessKeyId", std::string(kAccessKey)},
                 {"Expires", "1175139620"},
                 {"Signature", signature}};
  EXPECT_EQ(Code(MakeVerifier().Verify(query)), "OK");
  At(1175139621);
  EXPECT_EQ(Code(MakeVerifier().Verify(query)), "AccessDenied");  // expired
  At(1175024202);
  query.query[0].second = "UNKNOWNKEY";
  EXPECT_EQ(Code(MakeVerifier().Verify(query)), "InvalidAccessKeyId");

  // Malformed: a header without "key:signature", an Expires that is not a number.
  for (const char* header : {"AWS nocolon", "AWS :sig", "AWS key:"}) {
    SignableRequest bad = req;
    bad.headers.back().second = header;
    EXPECT_EQ(Code(MakeVerifier().Verify(bad)), "AuthorizationHeaderMalformed") << header;
  }
  query.query[0].second = std::string(kAccessKey);
  query.query[1].second = "soon";
  EXPECT_EQ(Code(MakeVerifier().Verify(query)), "AccessDenied");
}

TEST_F(VerifierTest, SignatureHexCaseIsIgnored) {
  SignableRequest r = DocGetObject();
  std::string auth = *FindHeader(r.headers, "Authorization");
  for (size_t i = auth.find("Signature=") + 10; i < auth.size(); ++i) {
    if (auth[i] >= 'a' && auth[i] <= 'f') auth[i] = static_cast<char>(auth[i] - 'a' + 'A');
  }
  SetHeader(r, "Authorization", auth);
  EXPECT_EQ(Code(MakeVerifier().Verify(r)), "OK");
}

TEST(PayloadMode, Parses) {
  EXPECT_EQ(ParsePayloadMode("UNSIGNED-PAYLOAD"), PayloadMode::kUnsigned);
  EXPECT_EQ(ParsePayloadMode("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), PayloadMode::kStreamingSigned);
  EXPECT_EQ(ParsePayloadMode("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
            PayloadMode::kStreamingSignedTrailer);
  EXPECT_EQ(ParsePayloadMode("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
            PayloadMode::kStreamingUnsignedTrailer);
  EXPECT_EQ(ParsePayloadMode(kEmptySha256), PayloadMode::kSha256);
  EXPECT_EQ(ParsePayloadMode("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"),
            PayloadMode::kSha256);
  EXPECT_EQ(ParsePayloadMode(""), std::nullopt);
  EXPECT_EQ(ParsePayloadMode("e3b0"), std::nullopt);
  EXPECT_TRUE(IsStreaming(PayloadMode::kStreamingUnsignedTrailer));
  EXPECT_FALSE(IsStreaming(PayloadMode::kUnsigned));
}

}  // namespace
}  // namespace ferry::s3
