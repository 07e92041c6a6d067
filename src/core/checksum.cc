#include "core/checksum.h"

#include <isa-l/crc.h>
#include <isa-l/crc64.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cctype>
#include <stdexcept>

namespace ferry {
namespace {

class EvpHasher final : public Hasher {
 public:
  explicit EvpHasher(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, md, nullptr) != 1) {
      throw std::runtime_error("EVP_DigestInit_ex failed");  // out of memory; not recoverable
    }
  }
  ~EvpHasher() override { EVP_MD_CTX_free(ctx_); }
  void Update(std::span<const char> data) override {
    EVP_DigestUpdate(ctx_, data.data(), data.size());
  }
  std::string Finish() override {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
  }

 private:
  EVP_MD_CTX* ctx_;
};

// OpenSSL 3 looks an algorithm up by name (under a lock) each time one is used through
// EVP_sha256() and the like; signing a request hashes a few times. These are fetched once and
// live as long as the process (immutable once fetched).
const EVP_MD* FetchedMd(const char* name, const EVP_MD* fallback) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  return md != nullptr ? md : fallback;
}

// The OpenSSL digest of kind; null for the CRCs, which are ISA-L's or ours.
const EVP_MD* EvpMdOf(DigestKind kind) {
  static const EVP_MD* const md5 = FetchedMd("MD5", EVP_md5());
  static const EVP_MD* const sha1 = FetchedMd("SHA1", EVP_sha1());
  static const EVP_MD* const sha256 = FetchedMd("SHA256", EVP_sha256());
  switch (kind) {
    case DigestKind::kMd5:
      return md5;
    case DigestKind::kSha1:
      return sha1;
    case DigestKind::kSha256:
      return sha256;
    default:
      return nullptr;
  }
}

EVP_MAC* Hmac() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

std::string BigEndian32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  return out;
}

std::string BigEndian64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (56 - 8 * i)) & 0xff);
  return out;
}

class Crc32cHasher final : public Hasher {
 public:
  void Update(std::span<const char> data) override { crc_ = Crc32c(crc_, data); }
  std::string Finish() override { return BigEndian32(crc_); }

 private:
  uint32_t crc_ = 0;
};

class Crc32Hasher final : public Hasher {
 public:
  void Update(std::span<const char> data) override { crc_ = Crc32(crc_, data); }
  std::string Finish() override { return BigEndian32(crc_); }

 private:
  uint32_t crc_ = 0;
};

class Crc64NvmeHasher final : public Hasher {
 public:
  void Update(std::span<const char> data) override { crc_ = Crc64Nvme(crc_, data); }
  std::string Finish() override { return BigEndian64(crc_); }

 private:
  uint64_t crc_ = 0;
};

// CRC-64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5), slicing-by-8. ISA-L 2.30 in Debian 12
// predates its crc64_rocksoft, so this one is table-driven.
struct Crc64Tables {
  std::array<std::array<uint64_t, 256>, 8> t{};
  Crc64Tables() {
    constexpr uint64_t kPoly = 0x9a6c9329ac4bc9b5ULL;
    for (uint64_t i = 0; i < 256; ++i) {
      uint64_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[0][i] = c;
    }
    for (int s = 1; s < 8; ++s)
      for (int i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
  }
};

const Crc64Tables& Tables64() {
  static const Crc64Tables tables;  // immutable after construction
  return tables;
}

}  // namespace

uint32_t Crc32c(uint32_t seed, std::span<const char> data) {
  // ISA-L's crc32_iscsi takes and returns the non-inverted register.
  return ~crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<char*>(data.data())),
                      static_cast<int>(data.size()), ~seed);
}

uint32_t Crc32(uint32_t seed, std::span<const char> data) {
  return crc32_gzip_refl(seed, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

uint64_t Crc64Nvme(uint64_t seed, std::span<const char> data) {
  const auto& t = Tables64().t;
  uint64_t crc = ~seed;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  while (n >= 8) {
    uint64_t v = crc;
    for (int i = 0; i < 8; ++i) v ^= static_cast<uint64_t>(p[i]) << (8 * i);
    crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff] ^
          t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
  return ~crc;
}

std::unique_ptr<Hasher> NewHasher(DigestKind kind) {
  if (const EVP_MD* md = EvpMdOf(kind)) return std::make_unique<EvpHasher>(md);
  switch (kind) {
    case DigestKind::kCrc32:
      return std::make_unique<Crc32Hasher>();
    case DigestKind::kCrc32c:
      return std::make_unique<Crc32cHasher>();
    case DigestKind::kCrc64Nvme:
      return std::make_unique<Crc64NvmeHasher>();
    default:
      return nullptr;  // an OpenSSL digest, made above
  }
}

std::optional<DigestKind> DigestKindFor(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kNone:
      return std::nullopt;
    case ChecksumAlgorithm::kCrc32:
      return DigestKind::kCrc32;
    case ChecksumAlgorithm::kCrc32c:
      return DigestKind::kCrc32c;
    case ChecksumAlgorithm::kCrc64Nvme:
      return DigestKind::kCrc64Nvme;
    case ChecksumAlgorithm::kSha1:
      return DigestKind::kSha1;
    case ChecksumAlgorithm::kSha256:
      return DigestKind::kSha256;
  }
  return std::nullopt;
}

std::string Digest(DigestKind kind, std::string_view data) {
  if (const EVP_MD* md = EvpMdOf(kind)) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) == 1) {
      return std::string(reinterpret_cast<char*>(out), len);
    }
  }
  auto h = NewHasher(kind);
  h->Update(data);
  return h->Finish();
}

std::string HexEncode(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::optional<std::string> HexDecode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(text.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

std::string Base64Encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '='))
      return std::nullopt;
  }
  std::string out(3 * text.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

namespace {

std::string HmacOf(DigestKind kind, const char* digest_name, std::string_view key,
                   std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  EVP_MAC_CTX* ctx = Hmac() != nullptr ? EVP_MAC_CTX_new(Hmac()) : nullptr;
  std::string digest(digest_name);
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_end()};
  const bool done =
      ctx != nullptr &&
      EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) ==
          1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1 &&
      EVP_MAC_final(ctx, out, &len, sizeof out) == 1;
  EVP_MAC_CTX_free(ctx);
  if (!done) {
    unsigned int n = 0;
    HMAC(EvpMdOf(kind), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n);
    len = n;
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view data) {
  return HmacOf(DigestKind::kSha256, "SHA256", key, data);
}

std::string HmacSha1(std::string_view key, std::string_view data) {
  return HmacOf(DigestKind::kSha1, "SHA1", key, data);
}

std::string_view ChecksumAlgorithmName(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kNone:
      return "";
    case ChecksumAlgorithm::kCrc32:
      return "CRC32";
    case ChecksumAlgorithm::kCrc32c:
      return "CRC32C";
    case ChecksumAlgorithm::kCrc64Nvme:
      return "CRC64NVME";
    case ChecksumAlgorithm::kSha1:
      return "SHA1";
    case ChecksumAlgorithm::kSha256:
      return "SHA256";
  }
  return "";
}

std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name) {
  std::string upper;
  for (char c : name)
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  for (auto a :
       {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
        ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256}) {
    if (upper == ChecksumAlgorithmName(a)) return a;
  }
  return std::nullopt;
}

std::string ChecksumHeaderName(ChecksumAlgorithm algorithm) {
  std::string name(ChecksumAlgorithmName(algorithm));
  if (name.empty()) return name;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return "x-amz-checksum-" + name;
}

}  // namespace ferry
