#include "s3/object_lock.h"

#include <charconv>
#include <pugixml.hpp>

#include "s3/errors.h"
#include "s3/http_date.h"
#include "s3/xml_dom.h"

namespace ferry::s3 {
namespace {

using xml::Malformed;

std::string Trimmed(pugi::xml_node node) {
  return std::string(xml::TrimWs(xml::Text(node)));
}

void Add(pugi::xml_node parent, const char* name, const std::string& value) {
  parent.append_child(name).text().set(value.c_str());
}

}  // namespace

bool IsLockMode(std::string_view mode) {
  return mode == "GOVERNANCE" || mode == "COMPLIANCE";
}

Result<ObjectLockConfiguration> ParseObjectLockConfiguration(std::string_view body) {
  if (xml::TrimWs(body).empty()) {
    return Status::InvalidArgument("Request Body is empty")
        .WithS3Code("MissingRequestBodyError", 400);
  }
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root,
                         xml::LoadRequest(doc, body, "ObjectLockConfiguration"));
  ObjectLockConfiguration config;
  pugi::xml_node enabled = xml::Child(root, "ObjectLockEnabled");
  if (!enabled || Trimmed(enabled) != "Enabled") return Malformed();
  pugi::xml_node rule = xml::Child(root, "Rule");
  if (!rule) return config;
  pugi::xml_node retention = xml::Child(rule, "DefaultRetention");
  if (!retention) return Malformed();
  pugi::xml_node mode = xml::Child(retention, "Mode");
  pugi::xml_node days = xml::Child(retention, "Days");
  pugi::xml_node years = xml::Child(retention, "Years");
  if (!mode || !IsLockMode(Trimmed(mode)) || !days == !years) return Malformed();
  config.default_mode = Trimmed(mode);
  std::string count = Trimmed(days ? days : years);
  int n = 0;
  auto [p, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
  if (ec != std::errc() || p != count.data() + count.size()) return Malformed();
  if (n <= 0) {
    return s3err::InvalidArgument("Default retention period must be a positive integer value.");
  }
  if ((days && n > 36500) || (years && n > 100)) {
    return s3err::InvalidArgument("Default retention period too large.");
  }
  (days ? config.days : config.years) = n;
  return config;
}

std::string ObjectLockConfigurationXml(const ObjectLockConfiguration& config) {
  pugi::xml_document doc;
  pugi::xml_node root = xml::NewRoot(doc, "ObjectLockConfiguration");
  Add(root, "ObjectLockEnabled", "Enabled");
  if (!config.default_mode.empty()) {
    pugi::xml_node retention = root.append_child("Rule").append_child("DefaultRetention");
    Add(retention, "Mode", config.default_mode);
    if (config.days > 0) Add(retention, "Days", std::to_string(config.days));
    if (config.years > 0) Add(retention, "Years", std::to_string(config.years));
  }
  return xml::Save(doc);
}

int64_t DefaultRetainUntil(const ObjectLockConfiguration& config, int64_t now_ns) {
  constexpr int64_t kDay = 86400 * kNanosPerSecond;
  // A year of retention is 365 days, as S3 counts it.
  return now_ns + (config.days > 0 ? config.days : config.years * 365) * kDay;
}

Result<Retention> ParseRetention(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root, xml::LoadRequest(doc, body, "Retention"));
  pugi::xml_node mode = xml::Child(root, "Mode");
  pugi::xml_node until = xml::Child(root, "RetainUntilDate");
  Retention r;
  if (!mode && !until) return r;
  if (!mode || !until || !IsLockMode(Trimmed(mode))) return Malformed();
  r.mode = Trimmed(mode);
  auto parsed = ParseIso8601(Trimmed(until));
  if (!parsed) return Malformed();
  r.until_ns = *parsed;
  return r;
}

std::string RetentionXml(const Retention& retention) {
  pugi::xml_document doc;
  pugi::xml_node root = xml::NewRoot(doc, "Retention");
  Add(root, "Mode", retention.mode);
  Add(root, "RetainUntilDate", FormatIso8601(retention.until_ns));
  return xml::Save(doc);
}

Result<bool> ParseLegalHold(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root, xml::LoadRequest(doc, body, "LegalHold"));
  pugi::xml_node status = xml::Child(root, "Status");
  if (!status) return Malformed();
  std::string v = Trimmed(status);
  if (v == "ON") return true;
  if (v == "OFF") return false;
  return Malformed();
}

std::string LegalHoldXml(bool on) {
  pugi::xml_document doc;
  Add(xml::NewRoot(doc, "LegalHold"), "Status", on ? "ON" : "OFF");
  return xml::Save(doc);
}

}  // namespace ferry::s3
