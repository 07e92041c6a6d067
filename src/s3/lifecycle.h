// S3 bucket lifecycle configurations: the <LifecycleConfiguration> document with S3's
// validation (what PutBucketLifecycleConfiguration refuses, and with which error), which
// objects a rule's filter selects, and when an action falls due. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/result.h"
#include "s3/tagging.h"

namespace ferry::s3 {

inline constexpr size_t kMaxLifecycleRules = 1000;

// Which objects a rule applies to: all of the given conditions hold. A rule written with the
// old top-level <Prefix> keeps that form when written back.
struct LifecycleFilter {
  std::string prefix;
  Tags tags;
  std::optional<uint64_t> size_greater_than;  // ObjectSizeGreaterThan, bytes
  std::optional<uint64_t> size_less_than;     // ObjectSizeLessThan, bytes
  bool legacy_prefix = false;
};

// Days after the object's creation, or a date (midnight UTC); one of them.
struct LifecycleTransition {
  std::optional<int> days;
  std::optional<int64_t> date_ns;
  std::string storage_class;
};

struct LifecycleExpiration {
  std::optional<int> days;
  std::optional<int64_t> date_ns;
  bool expired_object_delete_marker = false;  // remove a delete marker left alone
};

struct NoncurrentTransition {
  int noncurrent_days = 0;  // after the version stopped being current
  std::optional<int> newer_noncurrent_versions;
  std::string storage_class;
};

struct NoncurrentExpiration {
  int noncurrent_days = 0;
  std::optional<int> newer_noncurrent_versions;  // keep this many newer noncurrent versions
};

struct LifecycleRule {
  std::string id;
  bool enabled = true;
  LifecycleFilter filter;
  std::optional<LifecycleExpiration> expiration;
  std::vector<LifecycleTransition> transitions;
  std::optional<NoncurrentExpiration> noncurrent_expiration;
  std::vector<NoncurrentTransition> noncurrent_transitions;
  std::optional<int> abort_incomplete_upload_days;  // DaysAfterInitiation
};

struct LifecycleConfiguration {
  std::vector<LifecycleRule> rules;
};

// Parses and validates as S3 does: MalformedXML for a document that breaks the schema (an
// unknown status or storage class, two filters, a non-number), InvalidArgument for values out
// of range (Days of 0, an ID over 255 characters or used twice, a date not at midnight UTC),
// InvalidRequest for rules S3 refuses as a whole (no action, more than 1,000 rules, tags with
// AbortIncompleteMultipartUpload or ExpiredObjectDeleteMarker). A rule without an ID is given
// one.
Result<LifecycleConfiguration> ParseLifecycleConfiguration(std::string_view body);
std::string LifecycleConfigurationXml(const LifecycleConfiguration& config);

// Whether the rule's filter selects an object (enabled or not: the caller checks).
bool FilterMatches(const LifecycleFilter& filter, std::string_view key, uint64_t size,
                   const Tags& tags);

// When an action `days` after since_ns falls due: S3 adds the days and rounds up to the next
// midnight UTC. day_ns is the length of a day (shorter in tests, as Ceph's lc debug interval).
int64_t LifecycleDueAt(int64_t since_ns, int days, int64_t day_ns);

// The storage classes a transition may name.
bool IsTransitionStorageClass(std::string_view storage_class);

}  // namespace ferry::s3
