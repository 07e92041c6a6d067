// The objects of an S3 channel, in key order, as this host is to read them: every object
// under the channel's prefix (directory markers left out), or the objects a manifest names,
// sharded by key when the job says so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/object_store.h"
#include "train/job_spec.h"

namespace ferry::train {

// One record of an augmented manifest line: an object (an s3:// reference) or a value.
struct RecordSource {
  std::string bucket;  // set for an object
  std::string key;
  std::string value;  // else the value's bytes: a string as it is, anything else as JSON
};

struct ChannelObject {
  std::string key;
  std::string relative;  // the key below the channel's prefix: its path in the channel dir
  uint64_t size = 0;
  std::string etag;
  bool maybe_archived = false;  // listed in an archived class (GLACIER, DEEP_ARCHIVE)
  // An augmented manifest's line: its attributes in --attribute-names order, each sent as
  // one RecordIO record (key is then the line's number, zero-padded).
  std::vector<RecordSource> records;
};

struct ChannelObjects {
  std::string bucket;
  std::string prefix;                  // what relative names are relative to
  std::vector<ChannelObject> objects;  // sorted by key; this host's shard
  uint64_t bytes = 0;
};

// Lists (or reads the manifest of) the channel and keeps this host's shard. NotFound when
// the channel holds no object at all (a missing prefix). With attribute names, the manifest
// is an augmented manifest (JSON Lines) and each line is one item.
Result<ChannelObjects> ListChannel(ObjectStore& store, const TrainSpec& spec,
                                   const ChannelSpec& channel);

// A SageMaker manifest file: [{"prefix": "s3://bucket/prefix/"}, "relative/key", ...];
// the bucket, the prefix and the keys (prefix + relative).
struct ManifestEntries {
  std::string bucket;
  std::string prefix;
  std::vector<std::string> keys;
};
Result<ManifestEntries> ParseManifest(std::string_view json_text);

// An augmented manifest (one JSON object per line): per line, the named attributes as
// records. InvalidArgument naming the line when one lacks an attribute or is not JSON.
Result<std::vector<ChannelObject>> ParseAugmentedManifest(
    std::string_view text, const std::vector<std::string>& attribute_names);

}  // namespace ferry::train
