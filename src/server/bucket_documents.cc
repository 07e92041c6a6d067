#include "server/bucket_documents.h"

#include "server/users.h"

namespace ferry::server {

Result<std::string> RecordedOwner(ObjectStore& store, const std::string& bucket) {
  auto recorded = store.GetBucketConfig(bucket, kOwnerConfig);
  if (!recorded.ok()) {
    if (recorded.status().s3_code() == "NotImplemented") return std::string(kServerUserId);
    return recorded.status();
  }
  return recorded->value_or(std::string(kServerUserId));
}

}  // namespace ferry::server
