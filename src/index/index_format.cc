#include "index/index_format.h"

#include <zlib.h>

#include <cstring>

#include "core/checksum.h"

namespace ferry::index {
namespace {

constexpr std::string_view kHeaderMagic = "FERRYIDX";
constexpr std::string_view kTrailerMagic = "FERRYEND";

enum EtagForm : uint8_t { kEtagText = 0, kEtagMd5 = 1, kEtagMd5Parts = 2 };
enum PosixBits : uint8_t {
  kKnown = 1,
  kMode = 2,
  kUid = 4,
  kGid = 8,
  kMtime = 16,
  kAtime = 32,
};

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}
void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}
void PutFixed32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutFixed64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t Fixed(std::string_view bytes, size_t at, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
// The 16 bytes of a lower-case hex MD5, if text is one.
std::optional<std::string> Md5Bytes(std::string_view text) {
  if (text.size() != 32) return std::nullopt;
  std::string out(16, '\0');
  for (size_t i = 0; i < 16; ++i) {
    int hi = HexValue(text[2 * i]), lo = HexValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}
std::string Md5Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

void PutEtag(std::string& out, std::string_view etag) {
  size_t dash = etag.find('-');
  std::string_view digest = etag.substr(0, dash);
  auto md5 = Md5Bytes(digest);
  uint64_t parts = 0;
  bool parts_ok = dash == std::string_view::npos;
  if (!parts_ok && dash + 1 < etag.size() && etag.size() - dash - 1 <= 5 && etag[dash + 1] != '0') {
    parts_ok = true;
    for (char c : etag.substr(dash + 1)) {
      if (c < '0' || c > '9') parts_ok = false;
      parts = parts * 10 + static_cast<uint64_t>(c - '0');
    }
  }
  if (!md5 || !parts_ok) {
    out.push_back(kEtagText);
    PutString(out, etag);
    return;
  }
  out.push_back(dash == std::string_view::npos ? kEtagMd5 : kEtagMd5Parts);
  out.append(*md5);
  if (dash != std::string_view::npos) PutVarint(out, parts);
}

// Reads what the Put functions wrote; every read checks the bounds and fails once for good.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  bool done() const { return at_ == bytes_.size(); }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && ok_; shift += 7) {
      if (at_ >= bytes_.size()) break;
      uint8_t b = static_cast<uint8_t>(bytes_[at_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    ok_ = false;
    return 0;
  }
  std::string_view Bytes(uint64_t n) {
    if (!ok_ || n > bytes_.size() - at_) {
      ok_ = false;
      return {};
    }
    std::string_view out = bytes_.substr(at_, n);
    at_ += n;
    return out;
  }
  std::string_view String() { return Bytes(Varint()); }
  uint8_t Byte() {
    std::string_view b = Bytes(1);
    return b.empty() ? 0 : static_cast<uint8_t>(b[0]);
  }
  uint32_t Fixed32() {
    std::string_view b = Bytes(4);
    return b.empty() ? 0 : static_cast<uint32_t>(Fixed(b, 0, 4));
  }
  uint32_t Varint32() {
    uint64_t v = Varint();
    if (v > UINT32_MAX) ok_ = false;
    return static_cast<uint32_t>(v);
  }

 private:
  std::string_view bytes_;
  size_t at_ = 0;
  bool ok_ = true;
};

std::string ReadEtag(Cursor& in) {
  uint8_t form = in.Byte();
  if (form == kEtagText) return std::string(in.String());
  if (form != kEtagMd5 && form != kEtagMd5Parts) {
    in.Bytes(UINT64_MAX);  // fails the cursor
    return {};
  }
  std::string etag = Md5Hex(in.Bytes(16));
  if (form == kEtagMd5Parts) etag += "-" + std::to_string(in.Varint());
  return etag;
}

}  // namespace

bool IndexEntry::operator==(const IndexEntry& o) const {
  return key == o.key && size == o.size && etag == o.etag &&
         last_modified_ns == o.last_modified_ns && storage_class == o.storage_class &&
         metadata_known == o.metadata_known && posix.mode == o.posix.mode &&
         posix.uid == o.posix.uid && posix.gid == o.posix.gid &&
         posix.mtime_ns == o.posix.mtime_ns && posix.atime_ns == o.posix.atime_ns;
}

std::string EncodeHeader() {
  std::string out(kHeaderMagic);
  PutFixed32(out, kFormatVersion);
  PutFixed32(out, 0);  // flags, none yet
  return out;
}

Status CheckHeader(std::string_view bytes) {
  if (bytes.size() < kHeaderSize || !bytes.starts_with(kHeaderMagic)) {
    return Status::Corruption("not a ferry listing index (no index header)");
  }
  uint32_t version = static_cast<uint32_t>(Fixed(bytes, 8, 4));
  if (version > kFormatVersion) {
    return Status::NotImplemented("the index is of format " + std::to_string(version) +
                                  ", newer than this ferry reads (" +
                                  std::to_string(kFormatVersion) + "): upgrade ferry");
  }
  return Status::OK();
}

std::string EncodeTrailer(const Trailer& trailer) {
  std::string out;
  PutFixed64(out, trailer.footer_offset);
  PutFixed32(out, trailer.footer_length);
  PutFixed32(out, trailer.footer_crc32c);
  PutFixed32(out, trailer.format_version);
  PutFixed32(out, 0);
  out.append(kTrailerMagic);
  return out;
}

Result<Trailer> DecodeTrailer(std::string_view bytes) {
  if (bytes.size() != kTrailerSize || !bytes.ends_with(kTrailerMagic)) {
    return Status::Corruption("not a ferry listing index, or a truncated one (no index trailer)");
  }
  Trailer t;
  t.footer_offset = Fixed(bytes, 0, 8);
  t.footer_length = static_cast<uint32_t>(Fixed(bytes, 8, 4));
  t.footer_crc32c = static_cast<uint32_t>(Fixed(bytes, 12, 4));
  t.format_version = static_cast<uint32_t>(Fixed(bytes, 16, 4));
  if (t.format_version > kFormatVersion) {
    return Status::NotImplemented("the index is of format " + std::to_string(t.format_version) +
                                  ", newer than this ferry reads (" +
                                  std::to_string(kFormatVersion) + "): upgrade ferry");
  }
  return t;
}

std::string EncodeFooter(const Footer& footer) {
  std::string out;
  PutString(out, footer.info.bucket);
  PutString(out, footer.info.prefix);
  PutString(out, footer.info.endpoint);
  PutVarint(out, ZigZag(footer.info.built_at_ns));
  PutVarint(out, footer.info.entries);
  PutVarint(out, footer.blocks.size());
  for (const auto& b : footer.blocks) {
    PutVarint(out, b.offset);
    PutVarint(out, b.length);
    PutVarint(out, b.raw_length);
    PutVarint(out, b.entries);
    PutFixed32(out, b.crc32c);
    PutString(out, b.first_key);
    PutString(out, b.last_key);
  }
  return out;
}

Result<Footer> DecodeFooter(std::string_view bytes) {
  Cursor in(bytes);
  Footer f;
  f.info.bucket = in.String();
  f.info.prefix = in.String();
  f.info.endpoint = in.String();
  f.info.built_at_ns = UnZigZag(in.Varint());
  f.info.entries = in.Varint();
  uint64_t blocks = in.Varint();
  if (!in.ok() || blocks > bytes.size())
    return Status::Corruption("the index's footer is corrupted");
  f.blocks.resize(blocks);
  uint64_t entries = 0;
  for (auto& b : f.blocks) {
    b.offset = in.Varint();
    b.length = in.Varint32();
    b.raw_length = in.Varint32();
    b.entries = in.Varint32();
    b.crc32c = in.Fixed32();
    b.first_key = in.String();
    b.last_key = in.String();
    entries += b.entries;
  }
  if (!in.ok() || !in.done() || entries != f.info.entries) {
    return Status::Corruption("the index's footer is corrupted");
  }
  return f;
}

std::string EncodeEntries(std::span<const IndexEntry> entries) {
  std::string out;
  std::string_view previous_key;
  int64_t previous_time = 0;
  for (const auto& e : entries) {
    size_t shared = 0;
    while (shared < previous_key.size() && shared < e.key.size() &&
           previous_key[shared] == e.key[shared]) {
      ++shared;
    }
    PutVarint(out, shared);
    PutString(out, std::string_view(e.key).substr(shared));
    PutVarint(out, e.size);
    PutEtag(out, e.etag);
    PutVarint(out, ZigZag(e.last_modified_ns - previous_time));
    PutString(out, e.storage_class);
    const auto& p = e.posix;
    uint8_t bits = (e.metadata_known ? kKnown : 0) | (p.mode ? kMode : 0) | (p.uid ? kUid : 0) |
                   (p.gid ? kGid : 0) | (p.mtime_ns ? kMtime : 0) | (p.atime_ns ? kAtime : 0);
    out.push_back(static_cast<char>(bits));
    if (p.mode) PutVarint(out, *p.mode);
    if (p.uid) PutVarint(out, *p.uid);
    if (p.gid) PutVarint(out, *p.gid);
    if (p.mtime_ns) PutVarint(out, ZigZag(*p.mtime_ns));
    if (p.atime_ns) PutVarint(out, ZigZag(*p.atime_ns));
    previous_key = e.key;
    previous_time = e.last_modified_ns;
  }
  return out;
}

Result<std::vector<IndexEntry>> DecodeEntries(std::string_view raw, uint32_t count) {
  Cursor in(raw);
  std::vector<IndexEntry> out;
  out.reserve(count);
  int64_t previous_time = 0;
  for (uint32_t i = 0; i < count && in.ok(); ++i) {
    IndexEntry e;
    uint64_t shared = in.Varint();
    if (!out.empty() && shared <= out.back().key.size()) {
      e.key.assign(out.back().key, 0, shared);
    } else if (shared != 0) {
      break;
    }
    e.key.append(in.String());
    e.size = in.Varint();
    e.etag = ReadEtag(in);
    e.last_modified_ns = previous_time + UnZigZag(in.Varint());
    e.storage_class = in.String();
    uint8_t bits = in.Byte();
    e.metadata_known = bits & kKnown;
    if (bits & kMode) e.posix.mode = in.Varint32();
    if (bits & kUid) e.posix.uid = in.Varint32();
    if (bits & kGid) e.posix.gid = in.Varint32();
    if (bits & kMtime) e.posix.mtime_ns = UnZigZag(in.Varint());
    if (bits & kAtime) e.posix.atime_ns = UnZigZag(in.Varint());
    previous_time = e.last_modified_ns;
    if (!out.empty() && !(out.back().key < e.key)) break;  // keys strictly ascend
    out.push_back(std::move(e));
  }
  if (!in.ok() || !in.done() || out.size() != count) {
    return Status::Corruption("an index block's entries are corrupted");
  }
  return out;
}

std::string Compress(std::string_view raw) {
  uLongf length = compressBound(raw.size());
  std::string out(length, '\0');
  // Level 1: a block is compressed once and read many times; inflate's speed is the same.
  compress2(reinterpret_cast<Bytef*>(out.data()), &length,
            reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 1);
  out.resize(length);
  return out;
}

Result<std::string> Uncompress(std::string_view compressed, uint32_t raw_length) {
  std::string out(raw_length, '\0');
  uLongf length = raw_length;
  int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &length,
                      reinterpret_cast<const Bytef*>(compressed.data()), compressed.size());
  if (rc != Z_OK || length != raw_length) {
    return Status::Corruption("an index block does not decompress");
  }
  return out;
}

}  // namespace ferry::index
