#include "s3/restore.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>

#include "core/duration.h"
#include "s3/http_date.h"
#include "s3/intelligent_tiering.h"
#include "s3/lifecycle.h"
#include "s3/xml_dom.h"

namespace ferry::s3 {
namespace {

// Faster tiers first: a restore under way is overtaken only by a faster one.
int Speed(std::string_view tier) {
  if (tier == "Expedited") return 3;
  if (tier == "Standard") return 2;
  if (tier == "Bulk") return 1;
  return 0;
}

// The class whose retrieval times apply: an Intelligent-Tiering archive access tier restores as
// GLACIER does, its deep archive access tier as DEEP_ARCHIVE.
std::string_view TimedAs(const ObjectHeaders& h) {
  if (h.archive_access_tier.empty()) return h.storage_class;
  return h.archive_access_tier == kDeepArchiveAccess ? "DEEP_ARCHIVE" : "GLACIER";
}

int64_t TierTime(const RestoreTimes& t, std::string_view storage_class, std::string_view tier) {
  const bool deep = storage_class == "DEEP_ARCHIVE";
  if (tier == "Expedited") return t.glacier_expedited_ns;
  if (tier == "Bulk") return deep ? t.deep_bulk_ns : t.glacier_bulk_ns;
  return deep ? t.deep_standard_ns : t.glacier_standard_ns;
}

}  // namespace

bool IsArchivedStorageClass(std::string_view storage_class) {
  return storage_class == "GLACIER" || storage_class == "DEEP_ARCHIVE";
}

bool IsArchived(const ObjectHeaders& h) {
  return IsArchivedStorageClass(h.storage_class) || !h.archive_access_tier.empty();
}

Result<RestoreRequestDoc> ParseRestoreRequest(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root, xml::LoadRequest(doc, body, "RestoreRequest"));
  RestoreRequestDoc req;
  if (pugi::xml_node days = xml::Child(root, "Days")) {
    const std::string text = xml::Text(days);
    const std::string_view s = xml::TrimWs(text);
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), req.days);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return xml::Malformed();
    if (req.days < 1) {
      return Status::InvalidArgument("Days must be a positive integer")
          .WithS3Code("InvalidArgument", 400);
    }
  }
  if (pugi::xml_node tier = xml::Child(xml::Child(root, "GlacierJobParameters"), "Tier")) {
    req.tier = std::string(xml::TrimWs(xml::Text(tier)));
    if (Speed(req.tier) == 0) return xml::Malformed();
  }
  return req;
}

std::string RestoreTierName(std::string_view word) {
  for (const char* tier : {"Expedited", "Standard", "Bulk"}) {
    if (std::equal(word.begin(), word.end(), tier, tier + std::strlen(tier),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return tier;
    }
  }
  return "";
}

std::string RestoreRequestXml(const RestoreRequestDoc& doc) {
  // The tier is one of three words, checked by the server: nothing here needs escaping.
  const std::string days =
      doc.days > 0 ? "<Days>" + std::to_string(doc.days) + "</Days>" : std::string();
  return "<RestoreRequest xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + days +
         "<GlacierJobParameters><Tier>" + doc.tier +
         "</Tier></GlacierJobParameters></RestoreRequest>";
}

Result<RestoreTimes> ParseRestoreTimes(std::string_view spec) {
  RestoreTimes t;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("'" + std::string(item) + "': expected TIER=DURATION");
    }
    const std::string_view name = item.substr(0, eq);
    FERRY_ASSIGN_OR_RETURN(int64_t ns, ParseDurationNs(item.substr(eq + 1)));
    std::string_view cls, tier = name;
    if (const size_t dot = name.find('.'); dot != std::string_view::npos) {
      cls = name.substr(0, dot);
      tier = name.substr(dot + 1);
    }
    const bool glacier = cls.empty() || cls == "glacier";
    const bool deep = cls.empty() || cls == "deep_archive";
    if (!glacier && !deep) {
      return Status::InvalidArgument("'" + std::string(cls) +
                                     "': the archived classes are glacier and deep_archive");
    }
    if (tier == "expedited" && glacier) {
      t.glacier_expedited_ns = ns;
    } else if (tier == "standard") {
      if (glacier) t.glacier_standard_ns = ns;
      if (deep) t.deep_standard_ns = ns;
    } else if (tier == "bulk") {
      if (glacier) t.glacier_bulk_ns = ns;
      if (deep) t.deep_bulk_ns = ns;
    } else {
      return Status::InvalidArgument("'" + std::string(name) +
                                     "': the tiers are expedited, standard and bulk");
    }
  }
  return t;
}

Result<RestoreOutcome> DecideRestore(const ObjectHeaders& headers, const RestoreRequestDoc& req,
                                     int64_t now_ns, const RestoreTimes& times, int64_t day_ns) {
  const bool tiering = !headers.archive_access_tier.empty();
  // An Intelligent-Tiering restore, once done, leaves the version readable: not archived.
  if (!IsArchived(headers) || (tiering && ReadableNow(headers, now_ns))) {
    return Status::PreconditionFailed(
               "Restore is not allowed for the object's current storage class")
        .WithS3Code("InvalidObjectState", 403);
  }
  const std::string_view cls = TimedAs(headers);
  if (cls == "DEEP_ARCHIVE" && req.tier == "Expedited") {
    return Status::InvalidArgument("Expedited retrieval is not available for the " +
                                   std::string(tiering ? kDeepArchiveAccess : "DEEP_ARCHIVE") +
                                   (tiering ? " tier" : " storage class"))
        .WithS3Code("InvalidArgument", 400);
  }
  if (tiering && req.days != 0) {
    return Status::InvalidArgument(
               "Days must not be given to restore an object from an Intelligent-Tiering "
               "archive access tier: it moves back to the Frequent Access tier")
        .WithS3Code("InvalidArgument", 400);
  }
  if (!tiering && req.days == 0) return xml::Malformed();
  // When the restored copy goes: never for an Intelligent-Tiering version.
  auto expiry = [&](int64_t from) {
    return tiering ? std::numeric_limits<int64_t>::max() : LifecycleDueAt(from, req.days, day_ns);
  };
  RestoreOutcome out{202, headers};
  ObjectHeaders& h = out.headers;
  const RestorePhase phase = RestorePhaseAt(h, now_ns);
  if (phase == RestorePhase::kOngoing) {
    const int64_t ready = now_ns + TierTime(times, cls, req.tier);
    // Only a faster tier that would finish sooner overtakes the retrieval under way.
    if (Speed(req.tier) <= Speed(h.restore_tier) || ready >= h.restore_ready_ns) {
      return Status::AlreadyExists("Object restore is already in progress")
          .WithS3Code("RestoreAlreadyInProgress", 409);
    }
    h.restore_ready_ns = ready;
    h.restore_tier = req.tier;
    h.restore_expiry_ns = expiry(ready);
    return out;
  }
  if (phase == RestorePhase::kRestored) {
    // A new Days sets how long the copy stays, counted from now.
    h.restore_expiry_ns = expiry(now_ns);
    out.http_status = 200;
    return out;
  }
  h.restore_ready_ns = std::max<int64_t>(now_ns + TierTime(times, cls, req.tier), 1);
  h.restore_tier = req.tier;
  h.restore_expiry_ns = expiry(h.restore_ready_ns);
  return out;
}

RestorePhase RestorePhaseAt(const ObjectHeaders& h, int64_t now_ns) {
  if (h.restore_ready_ns == 0 || now_ns >= h.restore_expiry_ns) return RestorePhase::kNone;
  return now_ns < h.restore_ready_ns ? RestorePhase::kOngoing : RestorePhase::kRestored;
}

std::string RestoreHeaderValue(const ObjectHeaders& h, int64_t now_ns) {
  if (!IsArchived(h)) return "";
  switch (RestorePhaseAt(h, now_ns)) {
    case RestorePhase::kNone:
      return "";
    case RestorePhase::kOngoing:
      return "ongoing-request=\"true\"";
    case RestorePhase::kRestored:
      if (!h.archive_access_tier.empty()) return "";
      break;
  }
  return "ongoing-request=\"false\", expiry-date=\"" +
         FormatHttpDate(NanosToSeconds(h.restore_expiry_ns)) + "\"";
}

bool ParseRestoreHeader(std::string_view value, ObjectHeaders& h) {
  auto quoted = [&](std::string_view name) -> std::optional<std::string_view> {
    const size_t at = value.find(name);
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view rest = value.substr(at + name.size());
    if (!rest.starts_with("=\"")) return std::nullopt;
    rest.remove_prefix(2);
    const size_t end = rest.find('"');
    if (end == std::string_view::npos) return std::nullopt;
    return rest.substr(0, end);
  };
  const auto ongoing = quoted("ongoing-request");
  if (ongoing == "true") {
    SetToldRestore(h, true, 0);
    return true;
  }
  if (ongoing != "false") return false;
  const auto expiry = quoted("expiry-date");
  const auto seconds = expiry ? ParseHttpDate(*expiry) : std::nullopt;
  if (!seconds) return false;
  SetToldRestore(h, false, *seconds * kNanosPerSecond);
  return true;
}

void SetToldRestore(ObjectHeaders& h, bool ongoing, int64_t expiry_ns) {
  if (ongoing) {
    h.restore_ready_ns = h.restore_expiry_ns = std::numeric_limits<int64_t>::max();
  } else {
    h.restore_ready_ns = 1;
    h.restore_expiry_ns = expiry_ns;
  }
}

bool ReadableNow(const ObjectHeaders& h, int64_t now_ns) {
  if (!IsArchived(h)) return true;
  return RestorePhaseAt(h, now_ns) == RestorePhase::kRestored;
}

std::string_view ArchiveStatusAt(const ObjectHeaders& h, int64_t now_ns) {
  if (h.archive_access_tier.empty() || ReadableNow(h, now_ns)) return "";
  return h.archive_access_tier;
}

}  // namespace ferry::s3
