// Where a listing index lives (an object, s3://bucket/key, or a local file), opening one for
// `--index`, and writing one: into a temporary file first, then uploaded (or renamed) whole,
// so a reader never sees half an index.
#pragma once

#include <memory>
#include <string>

#include "ferry/object_store.h"
#include "index/index_reader.h"
#include "index/index_writer.h"

namespace ferry::cli {

// The index's default key beside the prefix it describes: "data/train.ferry-index" for
// "data/train/", ".ferry-index" for the whole bucket.
std::string DefaultIndexKey(const std::string& prefix);

// Opens the index at location (index::OpenIndex).
Result<std::shared_ptr<index::IndexReader>> OpenIndexAt(ObjectStore& store,
                                                        const std::string& location, bool whole);

// A new index's bytes on their way to location.
class IndexOutput {
 public:
  // InvalidArgument for a location that cannot hold an index.
  static Result<std::unique_ptr<IndexOutput>> Create(ObjectStore& store, std::string location);
  ~IndexOutput();
  index::IndexWriter::Sink sink();
  // Uploads the file (or moves it into place); the index becomes visible whole.
  Status Commit();
  const std::string& location() const { return location_; }
  // The key the index takes in bucket, if it is an object there ("" otherwise).
  std::string KeyIn(const std::string& bucket) const;

 private:
  IndexOutput(ObjectStore& store, std::string location)
      : store_(store), location_(std::move(location)) {}
  ObjectStore& store_;
  const std::string location_;
  std::string temp_path_;
  int fd_ = -1;
};

}  // namespace ferry::cli
