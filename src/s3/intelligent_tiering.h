// S3 Intelligent-Tiering's archive access tiers: the <IntelligentTieringConfiguration>
// documents a bucket holds (which objects, after how many days without access, go to the
// Archive Access or Deep Archive Access tier), S3's validation of them, and which tier an
// object falls into after an idle time. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/result.h"
#include "s3/lifecycle.h"

namespace ferry::s3 {

inline constexpr size_t kMaxIntelligentTieringConfigurations = 1000;
inline constexpr std::string_view kIntelligentTiering = "INTELLIGENT_TIERING";
inline constexpr std::string_view kArchiveAccess = "ARCHIVE_ACCESS";
inline constexpr std::string_view kDeepArchiveAccess = "DEEP_ARCHIVE_ACCESS";

struct IntelligentTieringConfiguration {
  std::string id;
  bool enabled = true;
  LifecycleFilter filter;     // prefix and tags only
  int archive_days = 0;       // ARCHIVE_ACCESS after this many days without access; 0: never
  int deep_archive_days = 0;  // DEEP_ARCHIVE_ACCESS likewise
};

// Parses one configuration as PutBucketIntelligentTieringConfiguration checks it: MalformedXML
// for a document that breaks the schema (no Id, an unknown status or access tier, a tier twice,
// no Tiering, a size filter), InvalidArgument for an Id other than id_param and for days out
// of range (Archive Access 90 to 730, Deep Archive Access 180 to 730, the deeper tier later).
Result<IntelligentTieringConfiguration> ParseIntelligentTieringConfiguration(
    std::string_view body, std::string_view id_param);
std::string IntelligentTieringConfigurationXml(const IntelligentTieringConfiguration& config);

// A bucket's configurations, kept as one document (the list answer's shape, never truncated).
Result<std::vector<IntelligentTieringConfiguration>> ParseIntelligentTieringList(
    std::string_view document);
std::string IntelligentTieringListXml(const std::vector<IntelligentTieringConfiguration>& list);

// The archive access tier an INTELLIGENT_TIERING object belongs in after being idle since
// idle_since_ns (its last access, or its creation), at now_ns: "", ARCHIVE_ACCESS or
// DEEP_ARCHIVE_ACCESS, the deepest that an enabled configuration selecting the object makes
// due. Due times are rounded up to the next day as lifecycle rules are (day_ns long).
std::string_view DueArchiveAccessTier(const std::vector<IntelligentTieringConfiguration>& list,
                                      std::string_view key, const Tags& tags, int64_t idle_since_ns,
                                      int64_t now_ns, int64_t day_ns);

// The fewest days without access after which any enabled configuration archives anything
// (0 when none does): objects younger than that need no closer look.
int MinArchiveDays(const std::vector<IntelligentTieringConfiguration>& list);

}  // namespace ferry::s3
