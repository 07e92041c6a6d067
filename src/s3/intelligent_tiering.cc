#include "s3/intelligent_tiering.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "s3/filter_xml.h"
#include "s3/xml_dom.h"

namespace ferry::s3 {
namespace {

constexpr size_t kMaxIdLength = 64;
constexpr int kMaxDays = 730;

Status InvalidArgument(const std::string& message) {
  return Status::InvalidArgument(message).WithS3Code("InvalidArgument", 400);
}

Result<int> DaysOf(pugi::xml_node tiering) {
  pugi::xml_node node = xml::Child(tiering, "Days");
  if (!node) return xml::Malformed();
  const std::string text = xml::Text(node);
  const std::string_view s = xml::TrimWs(text);
  int days = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), days);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return xml::Malformed();
  return days;
}

Result<IntelligentTieringConfiguration> ConfigurationOf(pugi::xml_node root) {
  IntelligentTieringConfiguration c;
  pugi::xml_node id = xml::Child(root, "Id");
  if (!id) return xml::Malformed();
  c.id = std::string(xml::TrimWs(xml::Text(id)));
  if (c.id.empty() || c.id.size() > kMaxIdLength) {
    return InvalidArgument("The Id must be 1 to " + std::to_string(kMaxIdLength) +
                           " characters long");
  }
  pugi::xml_node status = xml::Child(root, "Status");
  const std::string status_text = status ? xml::Text(status) : "";
  const std::string_view st = xml::TrimWs(status_text);
  if (st != "Enabled" && st != "Disabled") return xml::Malformed();
  c.enabled = st == "Enabled";
  if (pugi::xml_node filter = xml::Child(root, "Filter")) {
    FERRY_ASSIGN_OR_RETURN(c.filter, ReadFilterElement(filter));
    if (c.filter.size_greater_than || c.filter.size_less_than) return xml::Malformed();
  }
  const std::vector<pugi::xml_node> tierings = xml::Children(root, "Tiering");
  if (tierings.empty() || tierings.size() > 2) return xml::Malformed();
  for (pugi::xml_node t : tierings) {
    pugi::xml_node tier = xml::Child(t, "AccessTier");
    const std::string tier_text = tier ? xml::Text(tier) : "";
    const std::string_view name = xml::TrimWs(tier_text);
    FERRY_ASSIGN_OR_RETURN(int days, DaysOf(t));
    int* into = name == kArchiveAccess       ? &c.archive_days
                : name == kDeepArchiveAccess ? &c.deep_archive_days
                                             : nullptr;
    if (into == nullptr || *into != 0) return xml::Malformed();  // unknown, or given twice
    const int min = into == &c.archive_days ? 90 : 180;
    if (days < min || days > kMaxDays) {
      return InvalidArgument("Days for the " + std::string(name) + " tier must be between " +
                             std::to_string(min) + " and " + std::to_string(kMaxDays));
    }
    *into = days;
  }
  if (c.archive_days != 0 && c.deep_archive_days != 0 && c.deep_archive_days <= c.archive_days) {
    return InvalidArgument(
        "Days for the DEEP_ARCHIVE_ACCESS tier must be more than for the ARCHIVE_ACCESS tier");
  }
  return c;
}

void WriteConfiguration(pugi::xml_node root, const IntelligentTieringConfiguration& c) {
  root.append_child("Id").text().set(c.id.c_str());
  if (!c.filter.prefix.empty() || !c.filter.tags.empty()) {
    WriteFilterElement(root.append_child("Filter"), c.filter);
  }
  root.append_child("Status").text().set(c.enabled ? "Enabled" : "Disabled");
  auto tiering = [&](std::string_view tier, int days) {
    if (days == 0) return;
    pugi::xml_node t = root.append_child("Tiering");
    t.append_child("Days").text().set(days);
    t.append_child("AccessTier").text().set(std::string(tier).c_str());
  };
  tiering(kArchiveAccess, c.archive_days);
  tiering(kDeepArchiveAccess, c.deep_archive_days);
}

}  // namespace

Result<IntelligentTieringConfiguration> ParseIntelligentTieringConfiguration(
    std::string_view body, std::string_view id_param) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root,
                         xml::LoadRequest(doc, body, "IntelligentTieringConfiguration"));
  FERRY_ASSIGN_OR_RETURN(IntelligentTieringConfiguration c, ConfigurationOf(root));
  if (c.id != id_param) {
    return InvalidArgument("The Id in the configuration does not match the id parameter");
  }
  return c;
}

std::string IntelligentTieringConfigurationXml(const IntelligentTieringConfiguration& config) {
  pugi::xml_document doc;
  WriteConfiguration(xml::NewRoot(doc, "IntelligentTieringConfiguration"), config);
  return xml::Save(doc);
}

Result<std::vector<IntelligentTieringConfiguration>> ParseIntelligentTieringList(
    std::string_view document) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(
      pugi::xml_node root,
      xml::LoadRequest(doc, document, "ListBucketIntelligentTieringConfigurationsOutput"));
  std::vector<IntelligentTieringConfiguration> out;
  for (pugi::xml_node node : xml::Children(root, "IntelligentTieringConfiguration")) {
    FERRY_ASSIGN_OR_RETURN(IntelligentTieringConfiguration c, ConfigurationOf(node));
    out.push_back(std::move(c));
  }
  return out;
}

std::string IntelligentTieringListXml(const std::vector<IntelligentTieringConfiguration>& list) {
  pugi::xml_document doc;
  pugi::xml_node root = xml::NewRoot(doc, "ListBucketIntelligentTieringConfigurationsOutput");
  root.append_child("IsTruncated").text().set("false");
  for (const auto& c : list) {
    WriteConfiguration(root.append_child("IntelligentTieringConfiguration"), c);
  }
  return xml::Save(doc);
}

std::string_view DueArchiveAccessTier(const std::vector<IntelligentTieringConfiguration>& list,
                                      std::string_view key, const Tags& tags, int64_t idle_since_ns,
                                      int64_t now_ns, int64_t day_ns) {
  std::string_view due;
  auto reached = [&](int days) {
    return days > 0 && now_ns >= LifecycleDueAt(idle_since_ns, days, day_ns);
  };
  for (const auto& c : list) {
    if (!c.enabled || !FilterMatches(c.filter, key, 0, tags)) continue;
    if (reached(c.deep_archive_days)) return kDeepArchiveAccess;
    if (reached(c.archive_days)) due = kArchiveAccess;
  }
  return due;
}

int MinArchiveDays(const std::vector<IntelligentTieringConfiguration>& list) {
  int min = 0;
  for (const auto& c : list) {
    if (!c.enabled) continue;
    for (int days : {c.archive_days, c.deep_archive_days}) {
      if (days > 0 && (min == 0 || days < min)) min = days;
    }
  }
  return min;
}

}  // namespace ferry::s3
