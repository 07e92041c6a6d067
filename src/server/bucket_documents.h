// The documents `ferry serve` keeps with a bucket (ObjectStore::SetBucketConfig), by name:
// written by the operations that configure them, read back by the lifecycle worker and the
// request path. One list, so that a writer and its reader cannot name a document apart.
#pragma once

#include <string>
#include <string_view>

#include "ferry/object_store.h"
#include "ferry/result.h"

namespace ferry::server {

inline constexpr std::string_view kLifecycleConfig = "lifecycle";
// Every Intelligent-Tiering configuration of the bucket, as one list document.
inline constexpr std::string_view kIntelligentTieringConfig = "intelligent-tiering";
inline constexpr std::string_view kCorsConfig = "cors";
// The user id of the bucket's owner; a bucket without one is the server user's.
inline constexpr std::string_view kOwnerConfig = "owner";
// The bucket's ACL beyond its owner's FULL_CONTROL (s3/acl.h's stored form); none: private.
inline constexpr std::string_view kAclConfig = "acl";
// Its <PublicAccessBlockConfiguration>, as given.
inline constexpr std::string_view kPublicAccessBlockConfig = "public-access-block";

// The bucket's owner's user id: the recorded one, else the server user (also for a store
// that keeps no bucket documents). NoSuchBucket for a bucket that does not exist; any other
// failure to read it is an error, never an answer.
Result<std::string> RecordedOwner(ObjectStore& store, const std::string& bucket);

}  // namespace ferry::server
