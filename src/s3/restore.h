// Restores of archived objects as S3 Glacier answers them: the <RestoreRequest> document,
// how long each retrieval tier takes, the state machine of RestoreObject (202 for a new
// restore, 200 when already restored, 409 while one is under way unless a faster tier
// overtakes it, 403 for an object that is not archived), the x-amz-restore header, and whether
// an object's bytes may be read now. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ferry/object_store.h"
#include "ferry/result.h"

namespace ferry::s3 {

// GLACIER and DEEP_ARCHIVE: read only through a restored copy. (GLACIER_IR is readable at
// once; the rest are not archived.)
bool IsArchivedStorageClass(std::string_view storage_class);
// Whether a version's bytes are archived: an archived class, or an INTELLIGENT_TIERING
// version in an archive access tier (restored, it moves back to a tier read at once).
bool IsArchived(const ObjectHeaders& headers);

struct RestoreRequestDoc {
  int days = 0;  // how long the restored copy stays; 0: not given (Intelligent-Tiering)
  std::string tier = "Standard";  // Expedited, Standard or Bulk
};
// <RestoreRequest><Days/><GlacierJobParameters><Tier/></GlacierJobParameters></RestoreRequest>.
// MalformedXML with an unknown tier, InvalidArgument for Days below 1. Days may be left out
// (restores of Intelligent-Tiering objects take none; DecideRestore checks).
Result<RestoreRequestDoc> ParseRestoreRequest(std::string_view body);
std::string RestoreRequestXml(const RestoreRequestDoc& doc);
// "Expedited", "Standard" or "Bulk" for those words in any case (as a command line gives
// them); "" for anything else.
std::string RestoreTierName(std::string_view word);

// How long a retrieval takes, per archived class and tier. By default the longest of AWS's
// published times: GLACIER Expedited 5 min, Standard 5 h, Bulk 12 h; DEEP_ARCHIVE Standard
// 12 h, Bulk 48 h (it offers no Expedited).
struct RestoreTimes {
  int64_t glacier_expedited_ns = int64_t{5} * 60 * 1'000'000'000;
  int64_t glacier_standard_ns = int64_t{5} * 3600 * 1'000'000'000;
  int64_t glacier_bulk_ns = int64_t{12} * 3600 * 1'000'000'000;
  int64_t deep_standard_ns = int64_t{12} * 3600 * 1'000'000'000;
  int64_t deep_bulk_ns = int64_t{48} * 3600 * 1'000'000'000;
};
// "TIER=DURATION,..." where TIER is expedited, standard or bulk (both classes) or
// glacier.TIER / deep_archive.TIER, and DURATION as core's ParseDurationNs reads it.
Result<RestoreTimes> ParseRestoreTimes(std::string_view spec);

// What RestoreObject does to a version's headers at now_ns: the HTTP status to answer (202 or
// 200) with the restore fields updated, or the error. A restored copy expires `days` after
// the request, rounded up to the next day (day_ns long). An INTELLIGENT_TIERING version in
// an archive access tier takes no Days: restored, it is read at once for good (until it idles
// into the tier again); the tier's times are those of GLACIER (Archive Access) and
// DEEP_ARCHIVE (Deep Archive Access).
struct RestoreOutcome {
  int http_status = 202;
  ObjectHeaders headers;
};
Result<RestoreOutcome> DecideRestore(const ObjectHeaders& headers, const RestoreRequestDoc& req,
                                     int64_t now_ns, const RestoreTimes& times, int64_t day_ns);

// Where a version's restore stands at now_ns: none (never asked for, or its copy expired),
// under way, or restored.
enum class RestorePhase { kNone, kOngoing, kRestored };
RestorePhase RestorePhaseAt(const ObjectHeaders& headers, int64_t now_ns);

// x-amz-restore's value at now_ns ("" when there is nothing to say): ongoing-request="true"
// while the retrieval runs, then ongoing-request="false", expiry-date="<HTTP date>" (nothing
// for an Intelligent-Tiering version, which is then simply readable).
std::string RestoreHeaderValue(const ObjectHeaders& headers, int64_t now_ns);
// x-amz-archive-status's value at now_ns: the archive access tier of an INTELLIGENT_TIERING
// version whose bytes are not readable now, else "".
std::string_view ArchiveStatusAt(const ObjectHeaders& headers, int64_t now_ns);

// A client's reading of x-amz-restore into the restore fields: under way (ready and expiry
// unknown: the far future), or restored until expiry-date (ready in the past). False when the
// value is neither.
bool ParseRestoreHeader(std::string_view value, ObjectHeaders& headers);
// The same fields from what a client was told otherwise (a listing's RestoreStatus): a
// restore under way, or one done and readable until expiry_ns.
void SetToldRestore(ObjectHeaders& headers, bool ongoing, int64_t expiry_ns);

// Whether the version's bytes can be read at now_ns: not archived, or restored and not
// expired (an Intelligent-Tiering restore does not expire).
bool ReadableNow(const ObjectHeaders& headers, int64_t now_ns);

}  // namespace ferry::s3
