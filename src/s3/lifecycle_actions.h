// What a bucket's lifecycle rules do to one version at a given time: nothing, expire it (a
// delete marker in a versioned bucket, removal otherwise), remove it for good (noncurrent
// versions, expired delete markers), or move it to a colder storage class. S3's precedence
// applies: removal wins over a transition, and of several transitions the coldest class.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "s3/lifecycle.h"

namespace ferry::s3 {

// S3 moves no object under 128 KiB unless the rule's filter bounds the size itself.
inline constexpr uint64_t kTransitionMinimumSize = 128 << 10;

// One version as the rules see it.
struct LifecycleSubject {
  std::string_view key;
  uint64_t size = 0;
  const Tags* tags = nullptr;  // the version's tags; only read by rules that filter on tags
  std::string_view storage_class;
  int64_t created_ns = 0;
  bool is_latest = true;
  bool delete_marker = false;
  bool only_version = false;          // a delete marker with no other versions of its key
  int64_t noncurrent_since_ns = 0;    // noncurrent: when the next newer version was made
  int newer_noncurrent_versions = 0;  // noncurrent: how many noncurrent versions are newer
};

enum class LifecycleActionKind { kNone, kExpire, kDeleteVersion, kTransition };

struct LifecycleAction {
  LifecycleActionKind kind = LifecycleActionKind::kNone;
  std::string storage_class;  // for kTransition
  std::string rule_id;
};

LifecycleAction DueAction(const LifecycleConfiguration& config, const LifecycleSubject& subject,
                          int64_t now_ns, int64_t day_ns);

// Whether an enabled rule filters on tags (the caller then loads each version's tags).
bool FiltersOnTags(const LifecycleConfiguration& config);

// How cold a storage class is: STANDARD 0 up to DEEP_ARCHIVE; a transition only goes colder.
int StorageClassColdness(std::string_view storage_class);

// Whether an incomplete multipart upload started at initiated_ns is due for abortion; the id of
// the rule that says so, or "".
std::string AbortUploadRule(const LifecycleConfiguration& config, std::string_view key,
                            int64_t initiated_ns, int64_t now_ns, int64_t day_ns);

}  // namespace ferry::s3
