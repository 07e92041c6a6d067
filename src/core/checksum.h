// Streaming digests used for ETags and S3 additional checksums, and the encodings S3 puts them
// in. CRCs use ISA-L (vectorised, ~25 GB/s); MD5/SHA use OpenSSL's EVP. A Hasher is
// thread-compatible: one per stream.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ferry/object_store.h"

namespace ferry {

class Hasher {
 public:
  virtual ~Hasher() = default;
  virtual void Update(std::span<const char> data) = 0;
  void Update(std::string_view data) { Update(std::span<const char>(data.data(), data.size())); }
  // The raw digest (big-endian for CRCs, as S3 encodes them). The hasher is spent afterwards.
  virtual std::string Finish() = 0;
};

enum class DigestKind { kMd5, kSha1, kSha256, kCrc32, kCrc32c, kCrc64Nvme };

std::unique_ptr<Hasher> NewHasher(DigestKind kind);
// The digest kind behind an S3 checksum algorithm; kNone has none.
std::optional<DigestKind> DigestKindFor(ChecksumAlgorithm algorithm);

// One-shot helpers.
std::string Digest(DigestKind kind, std::string_view data);
uint32_t Crc32c(uint32_t seed, std::span<const char> data);
uint32_t Crc32(uint32_t seed, std::span<const char> data);
uint64_t Crc64Nvme(uint64_t seed, std::span<const char> data);

std::string HexEncode(std::string_view raw);
std::string Base64Encode(std::string_view raw);
// Strict decoding; nullopt on any invalid character or length.
std::optional<std::string> Base64Decode(std::string_view text);
std::optional<std::string> HexDecode(std::string_view text);

// HMAC-SHA256(key, data), raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);
// HMAC-SHA1(key, data), raw bytes: what SigV2 signs with.
std::string HmacSha1(std::string_view key, std::string_view data);

// S3 names: "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256" (case-insensitive parse).
std::string_view ChecksumAlgorithmName(ChecksumAlgorithm algorithm);
std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name);
// "x-amz-checksum-crc32c" etc.; empty for kNone.
std::string ChecksumHeaderName(ChecksumAlgorithm algorithm);

}  // namespace ferry
