#include "localstore/object_row.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/checksum.h"

namespace ferry::local {
namespace {

using json = nlohmann::json;

struct HeaderField {
  const char* name;
  std::string ObjectHeaders::*field;
};

constexpr HeaderField kHeaderFields[] = {
    {"content_type", &ObjectHeaders::content_type},
    {"content_encoding", &ObjectHeaders::content_encoding},
    {"content_disposition", &ObjectHeaders::content_disposition},
    {"content_language", &ObjectHeaders::content_language},
    {"cache_control", &ObjectHeaders::cache_control},
    {"expires", &ObjectHeaders::expires},
    {"acl", &ObjectHeaders::acl},
};

json ChecksumToJson(const ObjectChecksum& c) {
  json j = {{"algorithm", std::string(ChecksumAlgorithmName(c.algorithm))}, {"value", c.value}};
  if (c.composite) {
    j["composite"] = true;
    j["parts"] = c.parts;
  }
  return j;
}

std::optional<ObjectChecksum> ChecksumFromJson(const json& j) {
  auto alg = ParseChecksumAlgorithm(j.at("algorithm").get<std::string>());
  if (!alg) return std::nullopt;
  ObjectChecksum c;
  c.algorithm = *alg;
  c.value = j.at("value").get<std::string>();
  c.composite = j.value("composite", false);
  c.parts = j.value("parts", 0);
  return c;
}

std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status Corrupt(std::string_view what, std::string_view detail) {
  std::string msg = "index row: bad ";
  msg += what;
  msg += ": ";
  msg += detail;
  return Status::Corruption(msg).WithS3Code("InternalError", 500);
}

}  // namespace

std::string EncodeMetaJson(const ObjectHeaders& headers,
                           const std::optional<ObjectChecksum>& checksum,
                           std::string_view archived_as) {
  json j = json::object();
  for (const auto& f : kHeaderFields) {
    const std::string& v = headers.*f.field;
    if (!v.empty()) j[f.name] = v;
  }
  if (!headers.user_metadata.empty()) j["user_metadata"] = headers.user_metadata;
  if (!headers.tags.empty()) j["tags"] = headers.tags;
  if (!headers.lock_mode.empty()) {
    j["lock_mode"] = headers.lock_mode;
    j["lock_until_ns"] = headers.lock_until_ns;
  }
  if (headers.legal_hold) j["legal_hold"] = *headers.legal_hold;
  if (headers.restore_ready_ns != 0) {
    j["restore"] = {{"ready_ns", headers.restore_ready_ns},
                    {"expiry_ns", headers.restore_expiry_ns},
                    {"tier", headers.restore_tier}};
  }
  if (!headers.archive_access_tier.empty()) j["archive_access"] = headers.archive_access_tier;
  if (headers.last_access_ns != 0) j["accessed_ns"] = headers.last_access_ns;
  if (checksum && checksum->algorithm != ChecksumAlgorithm::kNone) {
    j["checksum"] = ChecksumToJson(*checksum);
  }
  if (!archived_as.empty()) j["archived_as"] = archived_as;
  return Dump(j);
}

Status DecodeMetaJson(std::string_view text, ObjectHeaders* headers,
                      std::optional<ObjectChecksum>* checksum, std::string* archived_as) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Corrupt("metadata", text.substr(0, 64));
  try {
    for (const auto& f : kHeaderFields) {
      auto it = j.find(f.name);
      headers->*f.field = it == j.end() ? std::string() : it->get<std::string>();
    }
    headers->user_metadata.clear();
    if (auto it = j.find("user_metadata"); it != j.end()) {
      headers->user_metadata = it->get<std::map<std::string, std::string>>();
    }
    headers->tags.clear();
    if (auto it = j.find("tags"); it != j.end()) {
      headers->tags = it->get<std::vector<std::pair<std::string, std::string>>>();
    }
    headers->lock_mode = j.value("lock_mode", std::string());
    headers->lock_until_ns = j.value("lock_until_ns", int64_t{0});
    headers->legal_hold.reset();
    if (auto it = j.find("legal_hold"); it != j.end()) headers->legal_hold = it->get<bool>();
    headers->restore_ready_ns = headers->restore_expiry_ns = 0;
    headers->restore_tier.clear();
    if (auto it = j.find("restore"); it != j.end()) {
      headers->restore_ready_ns = it->at("ready_ns").get<int64_t>();
      headers->restore_expiry_ns = it->at("expiry_ns").get<int64_t>();
      headers->restore_tier = it->at("tier").get<std::string>();
    }
    headers->archive_access_tier = j.value("archive_access", std::string());
    headers->last_access_ns = j.value("accessed_ns", int64_t{0});
    checksum->reset();
    if (auto it = j.find("checksum"); it != j.end()) *checksum = ChecksumFromJson(*it);
    if (archived_as) *archived_as = j.value("archived_as", std::string());
  } catch (const json::exception& e) {
    return Corrupt("metadata", e.what());
  }
  return Status::OK();
}

std::string EncodeChecksumJson(const std::optional<ObjectChecksum>& checksum) {
  if (!checksum || checksum->algorithm == ChecksumAlgorithm::kNone) return "";
  return Dump(ChecksumToJson(*checksum));
}

Result<std::optional<ObjectChecksum>> DecodeChecksumJson(std::string_view text) {
  if (text.empty()) return std::optional<ObjectChecksum>();
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Corrupt("checksum", text.substr(0, 64));
  try {
    return ChecksumFromJson(j);
  } catch (const json::exception& e) {
    return Corrupt("checksum", e.what());
  }
}

// Two encodings: records of blob id (16 bytes) and little-endian size (8), or, when some
// segment has an MD5, a marker byte then records with the 16-byte MD5 (zeros: unknown) after
// the size. The marker keeps the lengths apart: 1 + 40n is odd, 24n even.
constexpr char kSegmentsWithMd5 = 1;

std::string EncodeSegments(const std::vector<Segment>& segments) {
  const bool with_md5 = std::any_of(segments.begin(), segments.end(),
                                    [](const Segment& s) { return s.md5.size() == 16; });
  std::string out;
  out.reserve(1 + segments.size() * 40);
  if (with_md5) out.push_back(kSegmentsWithMd5);
  for (const auto& s : segments) {
    out += s.blob.Raw();
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((s.size >> (8 * i)) & 0xff));
    if (with_md5) out += s.md5.size() == 16 ? s.md5 : std::string(16, '\0');
  }
  return out;
}

Result<std::vector<Segment>> DecodeSegments(std::string_view raw) {
  size_t record = 24;
  if (raw.size() % 2 == 1) {
    if (raw[0] != kSegmentsWithMd5 || (raw.size() - 1) % 40 != 0) {
      return Corrupt("segment list", "unknown encoding");
    }
    raw.remove_prefix(1);
    record = 40;
  } else if (raw.size() % 24 != 0) {
    return Corrupt("segment list", "length not a multiple of 24");
  }
  std::vector<Segment> out(raw.size() / record);
  for (size_t i = 0; i < out.size(); ++i) {
    std::string_view rec = raw.substr(i * record, record);
    out[i].blob = *BlobId::FromRaw(rec.substr(0, 16));
    uint64_t size = 0;
    for (int b = 7; b >= 0; --b) size = (size << 8) | static_cast<unsigned char>(rec[16 + b]);
    out[i].size = size;
    const std::string_view md5 = rec.substr(24);
    if (record == 40 && md5.find_first_not_of('\0') != std::string_view::npos) {
      out[i].md5.assign(md5);
    }
  }
  return out;
}

}  // namespace ferry::local
