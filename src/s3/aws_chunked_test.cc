#include "s3/aws_chunked.h"

#include <gtest/gtest.h>

#include <random>

#include "core/checksum.h"
#include "s3/errors.h"

namespace ferry::s3 {
namespace {

// The AWS S3 documentation examples "Signature Calculation: Transfer Payload in Multiple
// Chunks" (sigv4-streaming) and its trailer variant (sigv4-streaming-trailers): 66560 bytes of
// 'a' in chunks of 65536 and 1024 bytes, signed with the example credentials at
// 20130524T000000Z. Every signature below is from those pages (and was re-derived with an
// independent Python hmac/hashlib script before use).
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kAmzDate[] = "20130524T000000Z";
constexpr char kScope[] = "20130524/us-east-1/s3/aws4_request";
constexpr uint64_t kPayloadSize = 66560;

constexpr char kSeed[] = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
constexpr const char* kChunkSigs[] = {
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"};

constexpr char kTrailerSeed[] = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
constexpr const char* kTrailerChunkSigs[] = {
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"};
constexpr char kTrailerSig[] = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";
// CRC32C of the 66560 bytes, base64, as in the trailer example.
constexpr char kCrc32c[] = "sOO8/Q==";

std::string Payload() {
  return std::string(kPayloadSize, 'a');
}

std::string SignedBody(const char* const sigs[3], std::string_view trailer) {
  std::string body = std::string("10000;chunk-signature=") + sigs[0] + "\r\n";
  body += std::string(65536, 'a') + "\r\n";
  body += std::string("400;chunk-signature=") + sigs[1] + "\r\n";
  body += std::string(1024, 'a') + "\r\n";
  body += std::string("0;chunk-signature=") + sigs[2] + "\r\n";
  body += trailer;
  return body;
}

std::string DocSignedBody() {
  return SignedBody(kChunkSigs, "\r\n");
}

std::string DocTrailerBody(std::string_view checksum_line = "x-amz-checksum-crc32c:sOO8/Q==\r\n",
                           std::string_view sig = kTrailerSig) {
  return SignedBody(kTrailerChunkSigs, std::string(checksum_line) + "x-amz-trailer-signature:" +
                                           std::string(sig) + "\r\n\r\n");
}

std::string UnsignedTrailerBody() {
  return "10000\r\n" + std::string(65536, 'a') + "\r\n400\r\n" + std::string(1024, 'a') +
         "\r\n0\r\nx-amz-checksum-crc32c:" + kCrc32c + "\r\n\r\n";
}

AwsChunkedDecoder::Options SignedOptions(PayloadMode mode, std::string seed) {
  AwsChunkedDecoder::Options o;
  o.mode = mode;
  o.signing_key = SigningKey(kSecret, "20130524", "us-east-1", "s3");
  o.amz_date = kAmzDate;
  o.scope = kScope;
  o.seed_signature = std::move(seed);
  o.decoded_length = kPayloadSize;
  return o;
}

AwsChunkedDecoder::Options UnsignedOptions() {
  AwsChunkedDecoder::Options o;
  o.mode = PayloadMode::kStreamingUnsignedTrailer;
  return o;
}

struct Decoded {
  Status status;  // the first failure of Feed, else Finish's
  std::string data;
  HeaderList trailers;
};

// Feeds body in pieces whose sizes come from `sizes` (cycled), then finishes.
Decoded Decode(const AwsChunkedDecoder::Options& options, std::string_view body,
               const std::vector<size_t>& sizes) {
  AwsChunkedDecoder d(options);
  Decoded out;
  size_t i = 0;
  while (!body.empty()) {
    size_t n = std::min(body.size(), std::max<size_t>(1, sizes[i++ % sizes.size()]));
    out.status = d.Feed(body.substr(0, n), &out.data);
    if (!out.status.ok()) return out;
    body.remove_prefix(n);
  }
  out.status = d.Finish();
  out.trailers = d.trailers();
  EXPECT_EQ(d.decoded_bytes(), out.data.size());
  return out;
}

Decoded DecodeWhole(const AwsChunkedDecoder::Options& o, std::string_view body) {
  return Decode(o, body, {body.size() + 1});
}

std::vector<size_t> RandomSizes(std::mt19937& rng, size_t max) {
  std::uniform_int_distribution<size_t> dist(1, max);
  std::vector<size_t> sizes(64);
  for (auto& s : sizes) s = dist(rng);
  return sizes;
}

TEST(AwsChunked, DocumentedSignedBodyInAnySplit) {
  const auto options = SignedOptions(PayloadMode::kStreamingSigned, kSeed);
  const std::string body = DocSignedBody();
  ASSERT_EQ(body.size(), 66824u);  // the documented Content-Length

  Decoded whole = DecodeWhole(options, body);
  ASSERT_TRUE(whole.status.ok()) << whole.status.ToString();
  EXPECT_EQ(whole.data, Payload());
  EXPECT_TRUE(whole.trailers.empty());

  Decoded bytewise = Decode(options, body, {1});
  ASSERT_TRUE(bytewise.status.ok()) << bytewise.status.ToString();
  EXPECT_EQ(bytewise.data, Payload());

  std::mt19937 rng(20130524);
  for (int round = 0; round < 50; ++round) {
    Decoded d = Decode(options, body, RandomSizes(rng, round % 2 ? 100 : 20000));
    ASSERT_TRUE(d.status.ok()) << round << ": " << d.status.ToString();
    ASSERT_EQ(d.data, Payload()) << round;
  }
}

TEST(AwsChunked, DocumentedSignedTrailerBody) {
  const auto options = SignedOptions(PayloadMode::kStreamingSignedTrailer, kTrailerSeed);
  std::mt19937 rng(7);
  for (const std::vector<size_t>& sizes :
       {std::vector<size_t>{1}, std::vector<size_t>{1 << 20}, RandomSizes(rng, 5000)}) {
    Decoded d = Decode(options, DocTrailerBody(), sizes);
    ASSERT_TRUE(d.status.ok()) << d.status.ToString();
    EXPECT_EQ(d.data, Payload());
    EXPECT_EQ(d.trailers, (HeaderList{{"x-amz-checksum-crc32c", kCrc32c}}));
  }
  // Some clients end the checksum line with LF before the CRLF; that is accepted too.
  Decoded lf = DecodeWhole(options, DocTrailerBody("x-amz-checksum-crc32c:sOO8/Q==\n\r\n"));
  ASSERT_TRUE(lf.status.ok()) << lf.status.ToString();
  EXPECT_EQ(lf.trailers, (HeaderList{{"x-amz-checksum-crc32c", kCrc32c}}));
}

TEST(AwsChunked, TrailerChecksumIsTheCrc32cOfThePayload) {
  EXPECT_EQ(Base64Encode(Digest(DigestKind::kCrc32c, Payload())), kCrc32c);
  auto checksum = ChecksumFromTrailers({{"x-amz-checksum-crc32c", kCrc32c}});
  ASSERT_TRUE(checksum.has_value());
  EXPECT_EQ(checksum->algorithm, ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(checksum->value, kCrc32c);
  EXPECT_FALSE(ChecksumFromTrailers({{"x-amz-meta-a", "b"}}).has_value());
  EXPECT_FALSE(ChecksumFromTrailers({{"x-amz-checksum-md4", "b"}}).has_value());
}

TEST(AwsChunked, TamperedTrailerIsRefused) {
  const auto options = SignedOptions(PayloadMode::kStreamingSignedTrailer, kTrailerSeed);
  for (const std::string& body :
       {DocTrailerBody("x-amz-checksum-crc32c:AAAAAA==\r\n"),
        DocTrailerBody("x-amz-checksum-crc32c:sOO8/Q==\r\n",
                       "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e436"),
        DocTrailerBody("x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-meta-extra:1\r\n"),
        SignedBody(kTrailerChunkSigs, "x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n")}) {
    Decoded d = DecodeWhole(options, body);
    EXPECT_EQ(d.status.s3_code(), "SignatureDoesNotMatch");
    EXPECT_EQ(d.status.http_status(), 403);
  }
}

TEST(AwsChunked, VerifiedRequestsDecodeThroughTheirAuthContext) {
  ManualClock clock(1369353600 * int64_t{1'000'000'000});
  Verifier::Options vo;
  vo.clock = &clock;
  vo.lookup = [](std::string_view) -> Result<std::string> { return std::string(kSecret); };
  Verifier verifier(vo);

  SignableRequest r;
  r.method = "PUT";
  r.path = "/examplebucket/chunkObject.txt";
  r.headers = {
      {"Host", "s3.amazonaws.com"},
      {"Content-Encoding", "aws-chunked"},
      {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"},
      {"x-amz-date", kAmzDate},
      {"x-amz-decoded-content-length", "66560"},
      {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
      {"x-amz-trailer", "x-amz-checksum-crc32c"},
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
       "SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;"
       "x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,"
       "Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"}};
  auto ctx = verifier.Verify(r);
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kStreamingSignedTrailer);
  Decoded d = DecodeWhole(AwsChunkedDecoder::OptionsFor(*ctx, kPayloadSize), DocTrailerBody());
  ASSERT_TRUE(d.status.ok()) << d.status.ToString();
  EXPECT_EQ(d.data, Payload());
}

TEST(AwsChunked, UnsignedTrailerBodyInAnySplit) {
  std::mt19937 rng(99);
  for (int round = 0; round < 30; ++round) {
    Decoded d = Decode(UnsignedOptions(), UnsignedTrailerBody(),
                       round == 0 ? std::vector<size_t>{1} : RandomSizes(rng, 3000));
    ASSERT_TRUE(d.status.ok()) << d.status.ToString();
    ASSERT_EQ(d.data, Payload());
    ASSERT_EQ(d.trailers, (HeaderList{{"x-amz-checksum-crc32c", kCrc32c}}));
  }
  // No trailer at all, and chunk extensions, are fine in unsigned mode.
  Decoded plain = DecodeWhole(UnsignedOptions(), "3;foo=bar\r\nabc\r\n0\r\n\r\n");
  ASSERT_TRUE(plain.status.ok()) << plain.status.ToString();
  EXPECT_EQ(plain.data, "abc");
  EXPECT_TRUE(plain.trailers.empty());
}

TEST(AwsChunked, CorruptedSignedBodiesAreRefused) {
  const auto options = SignedOptions(PayloadMode::kStreamingSigned, kSeed);
  std::string body = DocSignedBody();
  body[100] = 'b';  // a byte of the first chunk's data
  EXPECT_EQ(DecodeWhole(options, body).status.s3_code(), "SignatureDoesNotMatch");

  body = DocSignedBody();
  body[body.size() - 10] ^= 1;  // inside the final chunk's signature (a hex digit changed)
  EXPECT_EQ(DecodeWhole(options, body).status.s3_code(), "SignatureDoesNotMatch");

  // Chunks signed for another request (another seed) do not chain.
  EXPECT_EQ(DecodeWhole(SignedOptions(PayloadMode::kStreamingSigned, kTrailerSeed), DocSignedBody())
                .status.s3_code(),
            "SignatureDoesNotMatch");

  // A chunk without a signature in a signed mode.
  EXPECT_EQ(DecodeWhole(options, "3\r\nabc\r\n").status.s3_code(), "InvalidArgument");
}

TEST(AwsChunked, EveryTruncationIsIncomplete) {
  const std::string body =
      "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
  ASSERT_TRUE(DecodeWhole(UnsignedOptions(), body).status.ok());
  for (size_t n = 0; n < body.size(); ++n) {
    for (size_t piece : {size_t{1}, size_t{4}, body.size()}) {
      Decoded d = Decode(UnsignedOptions(), std::string_view(body).substr(0, n), {piece});
      EXPECT_EQ(d.status.s3_code(), "IncompleteBody") << n;
      EXPECT_EQ(d.status.http_status(), 400);
    }
  }
  const std::string signed_body = DocSignedBody();
  for (size_t n : {size_t{0}, size_t{10}, size_t{87}, size_t{88}, size_t{30000},
                   signed_body.size() - 2, signed_body.size() - 1}) {
    Decoded d =
        DecodeWhole(SignedOptions(PayloadMode::kStreamingSigned, kSeed), signed_body.substr(0, n));
    EXPECT_EQ(d.status.s3_code(), "IncompleteBody") << n;
  }
}

TEST(AwsChunked, MalformedFramingIsInvalidArgument) {
  for (const std::string& body : std::vector<std::string>{
           "x\r\nabc\r\n0\r\n\r\n",                              // not hex
           ";chunk-signature=00\r\n",                            // no size
           "3\r\nabcdef\r\n0\r\n\r\n",                           // data longer than its size
           "3\r\nabc0\r\n\r\n",                                  // no CRLF after the data
           "3\nabc\n0\n\n" + std::string(5000, 'x'),             // bare LF lines never end
           "3\r\nabc\r\n0\r\nno-colon-here\r\n\r\n",             // bad trailer line
           "3\r\nabc\r\n0\r\n\r\nextra",                         // data after the end
           "11111111111111111\r\n",                              // 17 hex digits
           "1000001\r\n",                                        // 16 MiB + 1
           std::string(5000, '1'),                               // endless size line
           "0\r\n" + std::string(20000, 'a') + ":b\r\n\r\n"}) {  // trailer too large
    Decoded d = DecodeWhole(UnsignedOptions(), body);
    EXPECT_EQ(d.status.s3_code(), "InvalidArgument") << body.substr(0, 40);
    EXPECT_EQ(d.status.http_status(), 400);
  }
  // In the signed mode without a trailer, trailer lines are not allowed.
  std::string with_trailer = SignedBody(kChunkSigs, "x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n");
  EXPECT_EQ(DecodeWhole(SignedOptions(PayloadMode::kStreamingSigned, kSeed), with_trailer)
                .status.s3_code(),
            "InvalidArgument");
}

TEST(AwsChunked, DecodedLengthIsEnforced) {
  auto options = UnsignedOptions();
  options.decoded_length = 4;
  EXPECT_EQ(DecodeWhole(options, "3\r\nabc\r\n0\r\n\r\n").status.s3_code(), "IncompleteBody");
  EXPECT_EQ(DecodeWhole(options, "5\r\nabcde\r\n0\r\n\r\n").status.s3_code(), "InvalidArgument");
  options.decoded_length = 3;
  EXPECT_TRUE(DecodeWhole(options, "3\r\nabc\r\n0\r\n\r\n").status.ok());
}

TEST(AwsChunked, SinkErrorsStopDecodingAndErrorsAreSticky) {
  AwsChunkedDecoder d(UnsignedOptions());
  Status s = d.Feed("3\r\nabc\r\n", [](std::string_view) { return Status::IOError("disk full"); });
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  std::string out;
  EXPECT_EQ(d.Feed("0\r\n\r\n", &out).code(), Status::Code::kIOError);
  EXPECT_EQ(d.Finish().code(), Status::Code::kIOError);
  EXPECT_FALSE(d.done());
}

TEST(AwsChunked, NonStreamingModeIsABug) {
  AwsChunkedDecoder::Options o;
  o.mode = PayloadMode::kUnsigned;
  AwsChunkedDecoder d(o);
  std::string out;
  EXPECT_EQ(d.Feed("0\r\n\r\n", &out).s3_code(), "InternalError");
}

TEST(AwsChunked, RandomGarbageNeverCrashes) {
  std::mt19937 rng(12345);
  const std::string valid =
      "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
  const std::string alphabet = "0123456789abcdefABCDEF;=:\r\n xyz-";
  for (int round = 0; round < 3000; ++round) {
    std::string body = valid;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % body.size();
      switch (rng() % 3) {
        case 0:
          body[pos] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          body.erase(pos, 1 + rng() % 3);
          break;
        default:
          body.insert(pos, 1, alphabet[rng() % alphabet.size()]);
          break;
      }
      if (body.empty()) body = "x";
    }
    Decoded d = Decode(UnsignedOptions(), body, RandomSizes(rng, 8));
    if (d.status.ok()) {
      EXPECT_LE(d.data.size(), body.size());
    } else {
      EXPECT_FALSE(d.status.s3_code().empty()) << d.status.ToString();
    }
    auto signed_options = SignedOptions(PayloadMode::kStreamingSignedTrailer, kTrailerSeed);
    signed_options.decoded_length.reset();
    Decoded s = Decode(signed_options, body, RandomSizes(rng, 8));
    EXPECT_FALSE(s.status.ok());
  }
}

}  // namespace
}  // namespace ferry::s3
