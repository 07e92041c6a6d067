#include "localstore/blob_id.h"

#include "core/checksum.h"
#include "localstore/fs_util.h"

namespace ferry::local {

BlobId BlobId::Random() {
  BlobId id;
  std::string raw = RandomBytes(id.bytes.size());
  std::memcpy(id.bytes.data(), raw.data(), id.bytes.size());
  return id;
}

std::optional<BlobId> BlobId::FromHex(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  auto raw = HexDecode(hex);
  if (!raw) return std::nullopt;
  return FromRaw(*raw);
}

std::optional<BlobId> BlobId::FromRaw(std::string_view raw) {
  BlobId id;
  if (raw.size() != id.bytes.size()) return std::nullopt;
  std::memcpy(id.bytes.data(), raw.data(), raw.size());
  return id;
}

std::string BlobId::Hex() const {
  return HexEncode(Raw());
}

std::string BlobId::RelativePath() const {
  std::string hex = Hex();
  return hex.substr(0, 2) + "/" + hex;
}

}  // namespace ferry::local
