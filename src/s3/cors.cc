#include "s3/cors.h"

#include <algorithm>
#include <charconv>

#include "core/ascii.h"
#include "s3/xml_dom.h"

namespace ferry::s3 {
namespace {

constexpr size_t kMaxIdLength = 255;
constexpr std::string_view kMethods[] = {"GET", "PUT", "HEAD", "POST", "DELETE"};

Status InvalidRequest(const std::string& message) {
  return Status::InvalidArgument(message).WithS3Code("InvalidRequest", 400);
}

std::vector<std::string> Texts(pugi::xml_node rule, std::string_view name) {
  std::vector<std::string> out;
  for (pugi::xml_node n : xml::Children(rule, name)) {
    out.emplace_back(xml::TrimWs(xml::Text(n)));
  }
  return out;
}

// pattern with at most one '*' standing for any run of characters.
bool WildcardMatch(std::string_view pattern, std::string_view value) {
  const size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == value;
  const std::string_view head = pattern.substr(0, star), tail = pattern.substr(star + 1);
  return value.size() >= head.size() + tail.size() && value.starts_with(head) &&
         value.ends_with(tail);
}

Result<CorsRule> RuleOf(pugi::xml_node node) {
  CorsRule r;
  if (pugi::xml_node id = xml::Child(node, "ID")) r.id = xml::Text(id);
  if (r.id.size() > kMaxIdLength) {
    return Status::InvalidArgument("The ID of a CORS rule must be at most 255 characters long")
        .WithS3Code("InvalidArgument", 400);
  }
  r.allowed_origins = Texts(node, "AllowedOrigin");
  r.allowed_methods = Texts(node, "AllowedMethod");
  r.allowed_headers = Texts(node, "AllowedHeader");
  r.expose_headers = Texts(node, "ExposeHeader");
  if (r.allowed_origins.empty() || r.allowed_methods.empty()) return xml::Malformed();
  for (const auto& m : r.allowed_methods) {
    if (std::find(std::begin(kMethods), std::end(kMethods), m) == std::end(kMethods)) {
      return InvalidRequest("Found unsupported HTTP method in CORS config. Unsupported method is " +
                            m);
    }
  }
  for (const auto& o : r.allowed_origins) {
    if (std::count(o.begin(), o.end(), '*') > 1) {
      return InvalidRequest("AllowedOrigin \"" + o + "\" can not have more than one wildcard.");
    }
  }
  for (const auto& h : r.allowed_headers) {
    if (std::count(h.begin(), h.end(), '*') > 1) {
      return InvalidRequest("AllowedHeader \"" + h + "\" can not have more than one wildcard.");
    }
  }
  if (pugi::xml_node age = xml::Child(node, "MaxAgeSeconds")) {
    const std::string text = xml::Text(age);
    const std::string_view s = xml::TrimWs(text);
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0) {
      return xml::Malformed();
    }
    r.max_age_seconds = v;
  }
  return r;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

Result<CorsConfiguration> ParseCorsConfiguration(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root, xml::LoadRequest(doc, body, "CORSConfiguration"));
  const std::vector<pugi::xml_node> nodes = xml::Children(root, "CORSRule");
  if (nodes.empty()) return xml::Malformed();
  if (nodes.size() > kMaxCorsRules) {
    return InvalidRequest("The number of CORS rules should not exceed allowed limit of " +
                          std::to_string(kMaxCorsRules) + " rules.");
  }
  CorsConfiguration config;
  for (pugi::xml_node node : nodes) {
    FERRY_ASSIGN_OR_RETURN(CorsRule rule, RuleOf(node));
    config.rules.push_back(std::move(rule));
  }
  return config;
}

std::string CorsConfigurationXml(const CorsConfiguration& config) {
  pugi::xml_document doc;
  pugi::xml_node root = xml::NewRoot(doc, "CORSConfiguration");
  for (const CorsRule& r : config.rules) {
    pugi::xml_node rule = root.append_child("CORSRule");
    if (!r.id.empty()) rule.append_child("ID").text().set(r.id.c_str());
    auto add = [&](const char* name, const std::vector<std::string>& values) {
      for (const auto& v : values) rule.append_child(name).text().set(v.c_str());
    };
    add("AllowedHeader", r.allowed_headers);
    add("AllowedMethod", r.allowed_methods);
    add("AllowedOrigin", r.allowed_origins);
    add("ExposeHeader", r.expose_headers);
    if (r.max_age_seconds) rule.append_child("MaxAgeSeconds").text().set(*r.max_age_seconds);
  }
  return xml::Save(doc);
}

std::vector<std::string> SplitHeaderList(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) out.push_back(AsciiLower(item));
  }
  return out;
}

const CorsRule* MatchCorsRule(const CorsConfiguration& config, std::string_view origin,
                              std::string_view method,
                              const std::vector<std::string>* request_headers) {
  for (const CorsRule& r : config.rules) {
    const bool origin_ok = std::any_of(r.allowed_origins.begin(), r.allowed_origins.end(),
                                       [&](const auto& o) { return WildcardMatch(o, origin); });
    if (!origin_ok) continue;
    if (std::find(r.allowed_methods.begin(), r.allowed_methods.end(), method) ==
        r.allowed_methods.end()) {
      continue;
    }
    const bool headers_ok =
        !request_headers ||
        std::all_of(request_headers->begin(), request_headers->end(), [&](const auto& h) {
          return std::any_of(r.allowed_headers.begin(), r.allowed_headers.end(),
                             [&](const auto& a) { return WildcardMatch(AsciiLower(a), h); });
        });
    if (headers_ok) return &r;
  }
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> CorsResponseHeaders(
    const CorsRule& rule, std::string_view origin,
    const std::vector<std::string>* request_headers) {
  const bool any_origin = std::find(rule.allowed_origins.begin(), rule.allowed_origins.end(),
                                    "*") != rule.allowed_origins.end();
  std::vector<std::pair<std::string, std::string>> h;
  h.emplace_back("Access-Control-Allow-Origin", any_origin ? "*" : std::string(origin));
  h.emplace_back("Access-Control-Allow-Methods", Join(rule.allowed_methods));
  if (request_headers && !request_headers->empty()) {
    h.emplace_back("Access-Control-Allow-Headers", Join(*request_headers));
  }
  if (!rule.expose_headers.empty()) {
    h.emplace_back("Access-Control-Expose-Headers", Join(rule.expose_headers));
  }
  if (rule.max_age_seconds) {
    h.emplace_back("Access-Control-Max-Age", std::to_string(*rule.max_age_seconds));
  }
  // Cookies and credentials go with a named origin only (browsers refuse them with "*").
  if (!any_origin) h.emplace_back("Access-Control-Allow-Credentials", "true");
  h.emplace_back("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
  return h;
}

}  // namespace ferry::s3
