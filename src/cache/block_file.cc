#include "cache/block_file.h"

#include <xxhash.h>

#include <cstring>

#include "core/checksum.h"

namespace ferry::cache {
namespace {

constexpr char kMagic[8] = {'F', 'R', 'Y', 'B', 'L', 'K', '\0', '\2'};
constexpr size_t kFixedBytes = 44;

void Put32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void Put64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t Get32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}
uint64_t Get64(std::string_view b, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}
uint32_t Crc(std::string_view data) {
  return Crc32c(0, std::span<const char>(data.data(), data.size()));
}

}  // namespace

std::string EncodeBlock(const BlockKey& key, std::string_view data) {
  std::string out = EncodeBlockHeader(key, data);
  out.append(data);
  return out;
}

std::string EncodeBlockHeader(const BlockKey& key, std::string_view data,
                              std::optional<uint32_t> data_crc32c) {
  std::string out;
  out.reserve(kFixedBytes + key.object.size() + key.etag.size() + 4);
  out.append(kMagic, sizeof kMagic);
  const uint32_t header_length =
      static_cast<uint32_t>(kFixedBytes + key.object.size() + key.etag.size() + 4);
  Put32(out, header_length);
  Put64(out, key.index);
  Put64(out, key.block_size);
  Put32(out, static_cast<uint32_t>(data.size()));
  Put32(out, data_crc32c ? *data_crc32c : Crc(data));
  Put32(out, static_cast<uint32_t>(key.object.size()));
  Put32(out, static_cast<uint32_t>(key.etag.size()));
  out.append(key.object);
  out.append(key.etag);
  Put32(out, Crc(out));
  return out;
}

std::optional<BlockHeader> DecodeBlockHeader(std::string_view b) {
  if (b.size() < kFixedBytes + 4 || std::memcmp(b.data(), kMagic, sizeof kMagic) != 0) {
    return std::nullopt;
  }
  BlockHeader h;
  h.header_length = Get32(b, 8);
  const uint32_t key_length = Get32(b, 36);
  const uint32_t etag_length = Get32(b, 40);
  const uint64_t expected = kFixedBytes + uint64_t{key_length} + etag_length + 4;
  if (h.header_length != expected || b.size() < expected) return std::nullopt;
  const size_t crc_at = h.header_length - 4;
  if (Get32(b, crc_at) != Crc(b.substr(0, crc_at))) return std::nullopt;
  h.key.index = Get64(b, 12);
  h.key.block_size = Get64(b, 20);
  h.data_length = Get32(b, 28);
  h.data_crc32c = Get32(b, 32);
  h.key.object = std::string(b.substr(kFixedBytes, key_length));
  h.key.etag = std::string(b.substr(kFixedBytes + key_length, etag_length));
  return h;
}

std::string BlockFileName(const BlockKey& key) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  XXH3_128bits_update(state, key.object.data(), key.object.size());
  XXH3_128bits_update(state, "\0", 1);
  XXH3_128bits_update(state, key.etag.data(), key.etag.size());
  XXH3_128bits_update(state, "\0", 1);
  const uint64_t numbers[2] = {key.index, key.block_size};
  XXH3_128bits_update(state, numbers, sizeof numbers);
  XXH128_hash_t h = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  // Big-endian bytes: the hex digits read high64 then low64.
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, h);
  return HexEncode(
      std::string_view(reinterpret_cast<const char*>(canonical.digest), sizeof canonical.digest));
}

}  // namespace ferry::cache
