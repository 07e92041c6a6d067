#include "fs/attribute_cache.h"

#include <nlohmann/json.hpp>
#include <string>

namespace ferry::fs {
namespace {

// Metadata is at most 2 KiB in S3; a few keys here.
constexpr size_t kMaxEntryBytes = 64 << 10;
constexpr size_t kFirstReadBytes = 4096;

cache::BlockKey KeyOf(const ObjectVersion& object, int64_t last_modified_ns) {
  // The version in the ETag field, so that the object's cached bytes (counted by ETag) never
  // include the entry.
  return {object.bucket + "/" + object.key, object.etag + "@" + std::to_string(last_modified_ns),
          cache::kMetadataIndex};
}

}  // namespace

std::optional<ObjectMeta> AttributeCache::Load(const ObjectVersion& object,
                                               int64_t last_modified_ns) {
  const cache::BlockKey key = KeyOf(object, last_modified_ns);
  // Entries are a few hundred bytes: a page is read first, the most only when it is full.
  std::string bytes(kFirstReadBytes, '\0');
  auto n = cache_.Read(key, 0, std::span<char>(bytes));
  if (n.ok() && *n == bytes.size()) {
    bytes.assign(kMaxEntryBytes, '\0');
    n = cache_.Read(key, 0, std::span<char>(bytes));
  }
  if (!n.ok()) return std::nullopt;
  bytes.resize(*n);
  auto json = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json["etag"].is_string() || !json["size"].is_number_unsigned() ||
      !json["user_metadata"].is_object()) {
    return std::nullopt;
  }
  ObjectMeta meta;
  meta.key = object.key;
  meta.etag = json["etag"].get<std::string>();
  meta.size = json["size"].get<uint64_t>();
  meta.last_modified_ns = last_modified_ns;
  for (const auto& [name, value] : json["user_metadata"].items()) {
    if (value.is_string()) meta.headers.user_metadata[name] = value.get<std::string>();
  }
  return meta;
}

void AttributeCache::Save(const ObjectVersion& object, int64_t last_modified_ns,
                          const ObjectMeta& meta) {
  nlohmann::json json = {
      {"etag", meta.etag}, {"size", meta.size}, {"user_metadata", meta.headers.user_metadata}};
  // Names and values that are not valid UTF-8 are replaced rather than refused.
  const std::string bytes = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (bytes.size() > kMaxEntryBytes) return;
  (void)cache_.Put(KeyOf(object, last_modified_ns), bytes);
}

}  // namespace ferry::fs
