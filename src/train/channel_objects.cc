#include "train/channel_objects.h"

#include "transfer/restore.h"
#include "transfer/walk.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "index/index_shard.h"
#include "index/indexed_store.h"
#include "store/read_full.h"
#include "train/shard.h"

namespace ferry::train {

Result<ManifestEntries> ParseManifest(std::string_view json_text) {
  auto json = nlohmann::json::parse(json_text, nullptr, false);
  if (json.is_discarded() || !json.is_array() || json.empty() || !json[0].is_object() ||
      !json[0].contains("prefix") || !json[0]["prefix"].is_string()) {
    return Status::InvalidArgument(
        "a manifest is a JSON list: [{\"prefix\": \"s3://bucket/prefix/\"}, \"key\", ...]");
  }
  FERRY_ASSIGN_OR_RETURN(auto prefix,
                         transfer::ParseLocation(json[0]["prefix"].get<std::string>()));
  if (!prefix.is_s3) return Status::InvalidArgument("manifest prefix must be s3://");
  ManifestEntries out{prefix.bucket, prefix.key, {}};
  for (size_t i = 1; i < json.size(); ++i) {
    if (!json[i].is_string()) {
      return Status::InvalidArgument("manifest entry " + std::to_string(i) + " is not a string");
    }
    out.keys.push_back(prefix.key + json[i].get<std::string>());
  }
  return out;
}

Result<std::vector<ChannelObject>> ParseAugmentedManifest(
    std::string_view text, const std::vector<std::string>& attribute_names) {
  std::vector<ChannelObject> items;
  size_t start = 0;
  for (size_t line_number = 1; start < text.size(); ++line_number) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
      return Status::InvalidArgument("augmented manifest line " + std::to_string(line_number) +
                                     ": not a JSON object");
    }
    ChannelObject item;
    char key[24];
    std::snprintf(key, sizeof key, "%012zu", line_number);
    item.key = item.relative = key;
    for (const auto& name : attribute_names) {
      if (!json.contains(name)) {
        return Status::InvalidArgument("augmented manifest line " + std::to_string(line_number) +
                                       ": no attribute \"" + name + "\"");
      }
      const auto& v = json[name];
      RecordSource record;
      if (v.is_string() && v.get<std::string>().starts_with("s3://")) {
        FERRY_ASSIGN_OR_RETURN(auto at, transfer::ParseLocation(v.get<std::string>()));
        record.bucket = at.bucket;
        record.key = at.key;
      } else {
        record.value = v.is_string() ? v.get<std::string>() : v.dump();
      }
      item.records.push_back(std::move(record));
    }
    items.push_back(std::move(item));
  }
  return items;
}

namespace {

ChannelObject ObjectOf(const ObjectMeta& o, const std::string& prefix) {
  return {.key = o.key,
          .relative = o.key.substr(prefix.size()),
          .size = o.size,
          .etag = o.etag,
          .maybe_archived = transfer::MayNeedRestore(o)};
}

// Every object under prefix (directory markers left out), listed from store.
Status ListPrefix(ObjectStore& store, const std::string& bucket, const std::string& prefix,
                  const std::string& start_after, std::vector<ChannelObject>& all) {
  return transfer::WalkBucket(
      store, bucket, prefix,
      [&](const ObjectMeta& o) {
        if (!o.key.ends_with('/')) all.push_back(ObjectOf(o, prefix));
        return Status::OK();
      },
      start_after);
}

// This host's objects from the channel's index: its run of the indexed keys, and its turn of
// the keys after the index's last one (written since, listed from the store).
Status ShardFromIndex(ObjectStore& store, index::IndexReader& index, const TrainSpec& spec,
                      const std::string& bucket, const std::string& prefix,
                      std::vector<ChannelObject>& mine) {
  FERRY_RETURN_IF_ERROR(
      index::ReadShard(index, prefix, spec.rank, spec.world, [&](const index::IndexEntry& e) {
        if (!e.key.ends_with('/')) {
          mine.push_back(ObjectOf(index::MetaOf(e), prefix));
        }
      }));
  if (index.MayEndBefore(prefix)) {
    std::vector<ChannelObject> newer;
    FERRY_RETURN_IF_ERROR(
        ListPrefix(store, bucket, prefix, std::max(prefix, index.last_key()), newer));
    for (size_t i = spec.rank; i < newer.size(); i += spec.world) mine.push_back(newer[i]);
  }
  return Status::OK();
}

}  // namespace

Result<ChannelObjects> ListChannel(ObjectStore& store, const TrainSpec& spec,
                                   const ChannelSpec& channel) {
  ChannelObjects out;
  std::vector<ChannelObject> all;
  if (channel.manifest && !channel.attribute_names.empty()) {
    FERRY_ASSIGN_OR_RETURN(std::string text,
                           ReadWholeObject(store, channel.manifest->bucket, channel.manifest->key));
    FERRY_ASSIGN_OR_RETURN(all, ParseAugmentedManifest(text, channel.attribute_names));
    out.bucket = channel.manifest->bucket;
  } else if (channel.manifest) {
    FERRY_ASSIGN_OR_RETURN(std::string text,
                           ReadWholeObject(store, channel.manifest->bucket, channel.manifest->key));
    FERRY_ASSIGN_OR_RETURN(auto manifest, ParseManifest(text));
    out.bucket = manifest.bucket;
    out.prefix = manifest.prefix;
    for (auto& key : manifest.keys) {
      ChannelObject o;
      o.relative = key.substr(manifest.prefix.size());
      o.key = std::move(key);
      all.push_back(std::move(o));
    }
  } else {
    out.bucket = channel.source.bucket;
    out.prefix = channel.source.key;
    if (!out.prefix.empty() && !out.prefix.ends_with('/')) out.prefix += '/';
    if (channel.index) {
      const bool sharded = spec.distribution == Distribution::kShardedByKey;
      const auto& at = *channel.index;
      auto opened = index::OpenIndex(store, at.is_s3, at.is_s3 ? at.bucket : at.path, at.key,
                                     /*whole=*/!sharded);
      if (!opened.ok()) return opened.status().Annotate("channel \"" + channel.name + "\"");
      std::shared_ptr<index::IndexReader> index = *opened;
      FERRY_RETURN_IF_ERROR(index::CheckCovers(*index, out.bucket, out.prefix)
                                .Annotate("channel \"" + channel.name + "\""));
      if (sharded) {
        // Already this host's shard: a run of keys, not every world-th key.
        FERRY_RETURN_IF_ERROR(ShardFromIndex(store, *index, spec, out.bucket, out.prefix, all));
        if (all.empty()) {
          return Status::NotFound("channel \"" + channel.name + "\": no objects for host " +
                                  std::to_string(spec.rank) + " under s3://" + out.bucket + "/" +
                                  out.prefix + " in " + index->name());
        }
        for (auto& o : all) out.bytes += o.size;
        out.objects = std::move(all);
        return out;
      }
      index::IndexedStore indexed(index, store);
      FERRY_RETURN_IF_ERROR(ListPrefix(indexed, out.bucket, out.prefix, "", all));
    } else {
      FERRY_RETURN_IF_ERROR(ListPrefix(store, out.bucket, out.prefix, "", all));
    }
  }
  if (all.empty()) {
    return Status::NotFound("channel \"" + channel.name + "\": no objects under s3://" +
                            out.bucket + "/" + out.prefix);
  }
  std::sort(all.begin(), all.end(),
            [](const ChannelObject& a, const ChannelObject& b) { return a.key < b.key; });
  const bool sharded = spec.distribution == Distribution::kShardedByKey;
  for (size_t i = sharded ? spec.rank : 0; i < all.size(); i += sharded ? spec.world : 1) {
    out.bytes += all[i].size;
    out.objects.push_back(std::move(all[i]));
  }
  return out;
}

}  // namespace ferry::train
