// BlobId: the random 128-bit name of an immutable data file. Blobs are never named after keys,
// so any key works and no key can reach outside the bucket's directory. Value type.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::local {

struct BlobId {
  std::array<unsigned char, 16> bytes{};

  // A fresh id from the kernel's random source.
  static BlobId Random();
  // Parses 32 lower-case hex digits; nullopt otherwise.
  static std::optional<BlobId> FromHex(std::string_view hex);
  // 16 raw bytes.
  static std::optional<BlobId> FromRaw(std::string_view raw);

  std::string Hex() const;
  std::string_view Raw() const {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  // "ab/abcdef...": the path below the bucket's blobs/ directory.
  std::string RelativePath() const;

  bool operator==(const BlobId& other) const = default;
};

struct BlobIdHash {
  size_t operator()(const BlobId& id) const {
    size_t h;
    std::memcpy(&h, id.bytes.data(), sizeof(h));
    return h;
  }
};

}  // namespace ferry::local
