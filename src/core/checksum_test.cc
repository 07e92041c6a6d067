#include "core/checksum.h"

#include <gtest/gtest.h>

#include <vector>

namespace ferry {
namespace {

std::span<const char> Span(std::string_view s) {
  return {s.data(), s.size()};
}

TEST(Checksum, CrcCheckValues) {
  // The catalogue "check" values: the CRC of the ASCII digits 1..9.
  EXPECT_EQ(Crc32c(0, Span("123456789")), 0xE3069283u);
  EXPECT_EQ(Crc32(0, Span("123456789")), 0xCBF43926u);
  EXPECT_EQ(Crc64Nvme(0, Span("123456789")), 0xAE8B14860A799888ull);
}

TEST(Checksum, CrcStreamsAcrossChunks) {
  std::string data(100000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 + 7);
  for (auto kind : {DigestKind::kCrc32, DigestKind::kCrc32c, DigestKind::kCrc64Nvme,
                    DigestKind::kMd5, DigestKind::kSha256}) {
    auto h = NewHasher(kind);
    h->Update(std::string_view(data).substr(0, 12345));
    h->Update(std::string_view(data).substr(12345));
    EXPECT_EQ(h->Finish(), Digest(kind, data));
  }
}

TEST(Checksum, S3Encodings) {
  // Values S3 returns for the body "hello world".
  EXPECT_EQ(HexEncode(Digest(DigestKind::kMd5, "hello world")), "5eb63bbbe01eeed093cb22bb8f5acdc3");
  EXPECT_EQ(Base64Encode(Digest(DigestKind::kCrc32, "hello world")), "DUoRhQ==");
  EXPECT_EQ(Base64Encode(Digest(DigestKind::kCrc32c, "hello world")), "yZRlqg==");
  EXPECT_EQ(Base64Encode(Digest(DigestKind::kSha256, "hello world")),
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
}

TEST(Checksum, Base64RoundTripAndRejects) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto back = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(Base64Decode("abc").has_value());
  EXPECT_FALSE(Base64Decode("ab!=").has_value());
}

TEST(Checksum, HmacRfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Checksum, AlgorithmNames) {
  EXPECT_EQ(ParseChecksumAlgorithm("crc32c"), ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kCrc64Nvme), "x-amz-checksum-crc64nvme");
  EXPECT_FALSE(ParseChecksumAlgorithm("md5").has_value());
}

}  // namespace
}  // namespace ferry
