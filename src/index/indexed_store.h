// IndexedStore: a store whose listings under an index's prefix come from the index instead of
// LIST requests; every other call goes to the store. Keys greater than the index's last key
// (objects appended since it was built, as time-stamped or numbered names are) are found by
// a listing that starts after that key, so only a prefix that reaches past the index's end
// costs a request. Objects changed or deleted since the index was built read as the index
// shows them until it is updated (`ferry index update`); opening one that is gone fails with
// NoSuchKey as it would after any listing. Thread-safe.
#pragma once

#include <memory>

#include "index/index_reader.h"
#include "store/forwarding_store.h"

namespace ferry::index {

class IndexedStore final : public ForwardingStore {
 public:
  IndexedStore(std::shared_ptr<IndexReader> index, ObjectStore& inner)
      : ForwardingStore(inner), index_(std::move(index)) {}
  IndexedStore(std::shared_ptr<IndexReader> index, std::unique_ptr<ObjectStore> inner)
      : ForwardingStore(std::move(inner)), index_(std::move(index)) {}

  IndexReader& index() const { return *index_; }
  // Whether the index holds every key of a listing of prefix in bucket.
  bool Covers(std::string_view bucket, std::string_view prefix) const;

  Result<ListObjectsPage> ListObjects(const ListObjectsRequest& req) override;

 private:
  const std::shared_ptr<IndexReader> index_;
};

// InvalidArgument unless the index covers s3://bucket/prefix (it was built of that prefix or
// of one that contains it).
Status CheckCovers(const IndexReader& index, std::string_view bucket, std::string_view prefix);

}  // namespace ferry::index
