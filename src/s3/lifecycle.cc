#include "s3/lifecycle.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>

#include "s3/filter_xml.h"
#include "s3/http_date.h"
#include "s3/xml_dom.h"

namespace ferry::s3 {
namespace {

constexpr std::array<std::string_view, 6> kTransitionClasses = {
    "GLACIER", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR"};
constexpr int64_t kDayNs = int64_t{86400} * kNanosPerSecond;

Status InvalidArgument(const std::string& message) {
  return Status::InvalidArgument(message).WithS3Code("InvalidArgument", 400);
}
Status InvalidRequest(const std::string& message) {
  return Status::InvalidArgument(message).WithS3Code("InvalidRequest", 400);
}

// An element's whole number (MalformedXML when it is not one).
template <typename T>
Result<std::optional<T>> Number(pugi::xml_node parent, std::string_view name) {
  pugi::xml_node node = xml::Child(parent, name);
  if (!node) return std::optional<T>();
  const std::string text = xml::Text(node);
  const std::string_view s = xml::TrimWs(text);
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return xml::Malformed();
  return std::optional<T>(value);
}

// A date S3 accepts: ISO 8601, at midnight UTC.
Result<std::optional<int64_t>> Date(pugi::xml_node parent) {
  pugi::xml_node node = xml::Child(parent, "Date");
  if (!node) return std::optional<int64_t>();
  auto ns = ParseIso8601(xml::TrimWs(xml::Text(node)));
  if (!ns) return xml::Malformed();
  if (*ns % kDayNs != 0) return InvalidArgument("'Date' must be at midnight GMT");
  return std::optional<int64_t>(*ns);
}

Result<std::string> TransitionClass(pugi::xml_node parent) {
  pugi::xml_node node = xml::Child(parent, "StorageClass");
  if (!node) return xml::Malformed();
  std::string sc(xml::TrimWs(xml::Text(node)));
  if (!IsTransitionStorageClass(sc)) return xml::Malformed();
  return sc;
}

Result<Tags> TagsOf(pugi::xml_node parent) {
  Tags tags;
  for (pugi::xml_node tag : xml::Children(parent, "Tag")) {
    pugi::xml_node key = xml::Child(tag, "Key");
    pugi::xml_node value = xml::Child(tag, "Value");
    if (!key || !value) return xml::Malformed();
    tags.emplace_back(xml::Text(key), xml::Text(value));
  }
  return tags;
}

Status ReadSizes(pugi::xml_node parent, LifecycleFilter& f) {
  FERRY_ASSIGN_OR_RETURN(f.size_greater_than, Number<uint64_t>(parent, "ObjectSizeGreaterThan"));
  FERRY_ASSIGN_OR_RETURN(f.size_less_than, Number<uint64_t>(parent, "ObjectSizeLessThan"));
  if (f.size_greater_than && f.size_less_than && *f.size_greater_than >= *f.size_less_than) {
    return InvalidArgument("ObjectSizeGreaterThan must be less than ObjectSizeLessThan");
  }
  return Status::OK();
}

}  // namespace

Result<LifecycleFilter> ReadFilterElement(pugi::xml_node filter) {
  LifecycleFilter f;
  // At most one condition, or an <And> of several.
  int conditions = 0;
  for (pugi::xml_node c = filter.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) ++conditions;
  }
  if (conditions > 1) return xml::Malformed();
  if (pugi::xml_node p = xml::Child(filter, "Prefix")) f.prefix = xml::Text(p);
  FERRY_ASSIGN_OR_RETURN(f.tags, TagsOf(filter));
  FERRY_RETURN_IF_ERROR(ReadSizes(filter, f));
  if (pugi::xml_node both = xml::Child(filter, "And")) {
    if (pugi::xml_node p = xml::Child(both, "Prefix")) f.prefix = xml::Text(p);
    FERRY_ASSIGN_OR_RETURN(f.tags, TagsOf(both));
    FERRY_RETURN_IF_ERROR(ReadSizes(both, f));
  }
  std::set<std::string_view> keys;
  for (const auto& [k, v] : f.tags) {
    if (!keys.insert(k).second) return InvalidRequest("Duplicate Tag Keys are not allowed.");
  }
  return f;
}

namespace {

Result<LifecycleFilter> FilterOf(pugi::xml_node rule) {
  pugi::xml_node legacy = xml::Child(rule, "Prefix");
  pugi::xml_node filter = xml::Child(rule, "Filter");
  if (legacy && filter) return xml::Malformed();
  if (legacy) {
    LifecycleFilter f;
    f.prefix = xml::Text(legacy);
    f.legacy_prefix = true;
    return f;
  }
  if (!filter) return xml::Malformed();
  return ReadFilterElement(filter);
}

// what: the field's name, its closing quote and where it is ("Days' for Expiration action").
Status CheckDays(const std::optional<int>& days, const char* what, int min) {
  if (days && *days < min) {
    return InvalidArgument(std::string("'") + what + " must be " +
                           (min > 0 ? "a positive integer" : "a non-negative integer"));
  }
  return Status::OK();
}

Result<LifecycleRule> RuleOf(pugi::xml_node node) {
  LifecycleRule r;
  if (pugi::xml_node id = xml::Child(node, "ID")) r.id = xml::Text(id);
  if (r.id.size() > 255) return InvalidArgument("ID length should not exceed allowed limit of 255");
  pugi::xml_node status = xml::Child(node, "Status");
  const std::string status_text = status ? xml::Text(status) : "";
  const std::string_view st = xml::TrimWs(status_text);
  if (st != "Enabled" && st != "Disabled") return xml::Malformed();
  r.enabled = st == "Enabled";
  FERRY_ASSIGN_OR_RETURN(r.filter, FilterOf(node));
  const bool tagged = !r.filter.tags.empty();

  if (pugi::xml_node e = xml::Child(node, "Expiration")) {
    LifecycleExpiration x;
    FERRY_ASSIGN_OR_RETURN(x.days, Number<int>(e, "Days"));
    FERRY_ASSIGN_OR_RETURN(x.date_ns, Date(e));
    pugi::xml_node marker = xml::Child(e, "ExpiredObjectDeleteMarker");
    if (marker) {
      const std::string text = xml::Text(marker);
      const std::string_view v = xml::TrimWs(text);
      if (v != "true" && v != "false") return xml::Malformed();
      x.expired_object_delete_marker = v == "true";
    }
    if ((x.days ? 1 : 0) + (x.date_ns ? 1 : 0) + (marker ? 1 : 0) != 1) return xml::Malformed();
    FERRY_RETURN_IF_ERROR(CheckDays(x.days, "Days' for Expiration action", 1));
    if (x.expired_object_delete_marker && tagged) {
      return InvalidRequest("ExpiredObjectDeleteMarker cannot be specified with object tags");
    }
    r.expiration = x;
  }
  std::set<std::string> classes;
  for (pugi::xml_node t : xml::Children(node, "Transition")) {
    LifecycleTransition x;
    FERRY_ASSIGN_OR_RETURN(x.days, Number<int>(t, "Days"));
    FERRY_ASSIGN_OR_RETURN(x.date_ns, Date(t));
    if ((x.days ? 1 : 0) + (x.date_ns ? 1 : 0) != 1) return xml::Malformed();
    FERRY_ASSIGN_OR_RETURN(x.storage_class, TransitionClass(t));
    FERRY_RETURN_IF_ERROR(CheckDays(x.days, "Days' in Transition action", 0));
    if (x.days && *x.days < 30 &&
        (x.storage_class == "STANDARD_IA" || x.storage_class == "ONEZONE_IA")) {
      return InvalidArgument(
          "'Days' in Transition action must be greater than or equal to 30 "
          "for storageClass '" +
          x.storage_class + "'");
    }
    if (!classes.insert(x.storage_class).second) {
      return InvalidRequest(
          "'StorageClass' must be different for 'Transition' actions in same "
          "'Rule' with prefix '" +
          r.filter.prefix + "'");
    }
    if (r.expiration && r.expiration->days && x.days && *r.expiration->days <= *x.days) {
      return InvalidArgument("'Days' in the Expiration action for prefix '" + r.filter.prefix +
                             "' must be greater than 'Days' in the Transition action");
    }
    r.transitions.push_back(x);
  }
  if (pugi::xml_node e = xml::Child(node, "NoncurrentVersionExpiration")) {
    NoncurrentExpiration x;
    FERRY_ASSIGN_OR_RETURN(auto days, Number<int>(e, "NoncurrentDays"));
    if (!days) return xml::Malformed();
    FERRY_RETURN_IF_ERROR(
        CheckDays(days, "NoncurrentDays' for NoncurrentVersionExpiration action", 1));
    x.noncurrent_days = *days;
    FERRY_ASSIGN_OR_RETURN(x.newer_noncurrent_versions, Number<int>(e, "NewerNoncurrentVersions"));
    if (x.newer_noncurrent_versions &&
        (*x.newer_noncurrent_versions < 1 || *x.newer_noncurrent_versions > 100)) {
      return InvalidArgument("'NewerNoncurrentVersions' must be between 1 and 100");
    }
    r.noncurrent_expiration = x;
  }
  for (pugi::xml_node t : xml::Children(node, "NoncurrentVersionTransition")) {
    NoncurrentTransition x;
    FERRY_ASSIGN_OR_RETURN(auto days, Number<int>(t, "NoncurrentDays"));
    if (!days) return xml::Malformed();
    FERRY_RETURN_IF_ERROR(
        CheckDays(days, "NoncurrentDays' in NoncurrentVersionTransition action", 0));
    x.noncurrent_days = *days;
    FERRY_ASSIGN_OR_RETURN(x.newer_noncurrent_versions, Number<int>(t, "NewerNoncurrentVersions"));
    FERRY_ASSIGN_OR_RETURN(x.storage_class, TransitionClass(t));
    r.noncurrent_transitions.push_back(x);
  }
  if (pugi::xml_node a = xml::Child(node, "AbortIncompleteMultipartUpload")) {
    FERRY_ASSIGN_OR_RETURN(r.abort_incomplete_upload_days, Number<int>(a, "DaysAfterInitiation"));
    if (!r.abort_incomplete_upload_days) return xml::Malformed();
    FERRY_RETURN_IF_ERROR(
        CheckDays(r.abort_incomplete_upload_days,
                  "DaysAfterInitiation' for AbortIncompleteMultipartUpload action", 1));
    if (tagged)
      return InvalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags");
  }
  if (!r.expiration && r.transitions.empty() && !r.noncurrent_expiration &&
      r.noncurrent_transitions.empty() && !r.abort_incomplete_upload_days) {
    return InvalidRequest("At least one action needs to be specified in a rule");
  }
  return r;
}

void WriteTags(pugi::xml_node parent, const Tags& tags) {
  for (const auto& [k, v] : tags) {
    pugi::xml_node tag = parent.append_child("Tag");
    tag.append_child("Key").text().set(k.c_str());
    tag.append_child("Value").text().set(v.c_str());
  }
}

void WriteFilter(pugi::xml_node rule, const LifecycleFilter& f) {
  if (f.legacy_prefix) {
    rule.append_child("Prefix").text().set(f.prefix.c_str());
    return;
  }
  WriteFilterElement(rule.append_child("Filter"), f);
}

void WriteWhen(pugi::xml_node node, const std::optional<int>& days,
               const std::optional<int64_t>& date_ns) {
  if (days) node.append_child("Days").text().set(*days);
  if (date_ns) node.append_child("Date").text().set(FormatIso8601(*date_ns).c_str());
}

}  // namespace

void WriteFilterElement(pugi::xml_node filter, const LifecycleFilter& f) {
  const int conditions = (f.prefix.empty() ? 0 : 1) + static_cast<int>(f.tags.size()) +
                         (f.size_greater_than ? 1 : 0) + (f.size_less_than ? 1 : 0);
  pugi::xml_node into = conditions > 1 ? filter.append_child("And") : filter;
  if (!f.prefix.empty() || conditions == 0)
    into.append_child("Prefix").text().set(f.prefix.c_str());
  WriteTags(into, f.tags);
  if (f.size_greater_than) {
    into.append_child("ObjectSizeGreaterThan")
        .text()
        .set(std::to_string(*f.size_greater_than).c_str());
  }
  if (f.size_less_than) {
    into.append_child("ObjectSizeLessThan").text().set(std::to_string(*f.size_less_than).c_str());
  }
}

bool IsTransitionStorageClass(std::string_view storage_class) {
  return std::find(kTransitionClasses.begin(), kTransitionClasses.end(), storage_class) !=
         kTransitionClasses.end();
}

Result<LifecycleConfiguration> ParseLifecycleConfiguration(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root,
                         xml::LoadRequest(doc, body, "LifecycleConfiguration"));
  const std::vector<pugi::xml_node> nodes = xml::Children(root, "Rule");
  if (nodes.empty()) return xml::Malformed();
  if (nodes.size() > kMaxLifecycleRules) {
    return InvalidRequest("The number of lifecycle rules must not exceed the allowed limit of " +
                          std::to_string(kMaxLifecycleRules) + " rules");
  }
  LifecycleConfiguration config;
  std::set<std::string> ids;
  for (pugi::xml_node node : nodes) {
    FERRY_ASSIGN_OR_RETURN(LifecycleRule rule, RuleOf(node));
    if (!rule.id.empty() && !ids.insert(rule.id).second) {
      return InvalidArgument("Rule ID must be unique. Found same ID for more than one rule");
    }
    config.rules.push_back(std::move(rule));
  }
  // Rules without an ID get one no other rule has.
  size_t n = 0;
  for (LifecycleRule& rule : config.rules) {
    while (rule.id.empty()) {
      std::string id = "rule-" + std::to_string(++n);
      if (ids.insert(id).second) rule.id = std::move(id);
    }
  }
  return config;
}

std::string LifecycleConfigurationXml(const LifecycleConfiguration& config) {
  pugi::xml_document doc;
  pugi::xml_node root = xml::NewRoot(doc, "LifecycleConfiguration");
  for (const LifecycleRule& r : config.rules) {
    pugi::xml_node rule = root.append_child("Rule");
    if (r.expiration) {
      pugi::xml_node e = rule.append_child("Expiration");
      WriteWhen(e, r.expiration->days, r.expiration->date_ns);
      if (!r.expiration->days && !r.expiration->date_ns) {
        e.append_child("ExpiredObjectDeleteMarker")
            .text()
            .set(r.expiration->expired_object_delete_marker ? "true" : "false");
      }
    }
    rule.append_child("ID").text().set(r.id.c_str());
    WriteFilter(rule, r.filter);
    rule.append_child("Status").text().set(r.enabled ? "Enabled" : "Disabled");
    for (const LifecycleTransition& t : r.transitions) {
      pugi::xml_node n = rule.append_child("Transition");
      WriteWhen(n, t.days, t.date_ns);
      n.append_child("StorageClass").text().set(t.storage_class.c_str());
    }
    for (const NoncurrentTransition& t : r.noncurrent_transitions) {
      pugi::xml_node n = rule.append_child("NoncurrentVersionTransition");
      n.append_child("NoncurrentDays").text().set(t.noncurrent_days);
      n.append_child("StorageClass").text().set(t.storage_class.c_str());
      if (t.newer_noncurrent_versions) {
        n.append_child("NewerNoncurrentVersions").text().set(*t.newer_noncurrent_versions);
      }
    }
    if (r.noncurrent_expiration) {
      pugi::xml_node n = rule.append_child("NoncurrentVersionExpiration");
      n.append_child("NoncurrentDays").text().set(r.noncurrent_expiration->noncurrent_days);
      if (r.noncurrent_expiration->newer_noncurrent_versions) {
        n.append_child("NewerNoncurrentVersions")
            .text()
            .set(*r.noncurrent_expiration->newer_noncurrent_versions);
      }
    }
    if (r.abort_incomplete_upload_days) {
      rule.append_child("AbortIncompleteMultipartUpload")
          .append_child("DaysAfterInitiation")
          .text()
          .set(*r.abort_incomplete_upload_days);
    }
  }
  return xml::Save(doc);
}

bool FilterMatches(const LifecycleFilter& f, std::string_view key, uint64_t size,
                   const Tags& tags) {
  if (!key.starts_with(f.prefix)) return false;
  if (f.size_greater_than && !(size > *f.size_greater_than)) return false;
  if (f.size_less_than && !(size < *f.size_less_than)) return false;
  for (const auto& wanted : f.tags) {
    if (std::find(tags.begin(), tags.end(), wanted) == tags.end()) return false;
  }
  return true;
}

int64_t LifecycleDueAt(int64_t since_ns, int days, int64_t day_ns) {
  if (day_ns <= 0) day_ns = kDayNs;
  const int64_t due = since_ns + static_cast<int64_t>(days) * day_ns;
  // Rounded up to the next day boundary (midnight UTC when a day is a day).
  const int64_t rem = ((due % day_ns) + day_ns) % day_ns;
  return rem == 0 ? due : due - rem + day_ns;
}

}  // namespace ferry::s3
