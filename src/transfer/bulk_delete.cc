#include "transfer/bulk_delete.h"

#include <vector>

#include "transfer/walk.h"

namespace ferry::transfer {

Result<uint64_t> DeletePrefix(
    ObjectStore& store, const std::string& bucket, const std::string& prefix, bool dry_run,
    const std::function<void(const std::string& key, const Status&)>& on_each) {
  std::vector<std::string> batch;
  uint64_t deleted = 0;
  Status first_failure;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::OK();
    std::vector<Status> results(batch.size());
    if (!dry_run) {
      auto sent = store.DeleteObjects(bucket, batch);
      if (!sent.ok()) return sent.status();
      results = std::move(sent).value();
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      on_each(batch[i], results[i]);
      if (results[i].ok()) {
        ++deleted;
      } else if (first_failure.ok()) {
        first_failure = results[i];
      }
    }
    batch.clear();
    return Status::OK();
  };
  // Deleting while listing is safe: each page resumes after the last key listed.
  Status st = WalkBucket(store, bucket, prefix, [&](const ObjectMeta& obj) {
    batch.push_back(obj.key);
    return batch.size() >= kDeleteBatch ? flush() : Status::OK();
  });
  if (st.ok()) st = flush();
  if (!st.ok()) return st;
  if (!first_failure.ok()) return first_failure;
  return deleted;
}

}  // namespace ferry::transfer
