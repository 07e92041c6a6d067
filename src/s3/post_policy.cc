#include "s3/post_policy.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "core/ascii.h"
#include "core/checksum.h"
#include "s3/http_date.h"

namespace ferry::s3 {
namespace {

using json = nlohmann::json;

// Form fields that are not the policy's to check.
const std::set<std::string, std::less<>> kUnchecked = {"policy", "x-amz-signature", "file",
                                                       "signature", "awsaccesskeyid"};

Status InvalidPolicy(const std::string& why) {
  return Status::InvalidArgument("Invalid Policy: " + why).WithS3Code("InvalidPolicyDocument", 400);
}

Status Denied(const std::string& why) {
  return Status::PermissionDenied("Invalid according to Policy: " + why)
      .WithS3Code("AccessDenied", 403);
}

Result<PostCondition> FieldCondition(PostCondition::Kind kind, const json& name, const json& value,
                                     std::string text) {
  if (!name.is_string() || !value.is_string()) return InvalidPolicy("Invalid Condition");
  std::string field = name.get<std::string>();
  if (field.starts_with('$')) field.erase(0, 1);
  return PostCondition{kind, AsciiLower(field), value.get<std::string>(), std::move(text)};
}

Result<uint64_t> Length(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return static_cast<uint64_t>(v.get<int64_t>());
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (!s.empty() && std::all_of(s.begin(), s.end(), ::isdigit) && s.size() < 20) {
      return std::stoull(s);
    }
  }
  return InvalidPolicy("Invalid content-length-range");
}

bool Meets(const PostCondition& c, const std::string& value) {
  if (c.kind == PostCondition::Kind::kEq) return value == c.value;
  if (c.field != "content-type") return value.starts_with(c.value);
  // Content-Type may list several types: each must start with the prefix.
  size_t at = 0;
  for (;;) {
    size_t comma = value.find(',', at);
    std::string_view item = std::string_view(value).substr(at, comma - at);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (!item.starts_with(c.value)) return false;
    if (comma == std::string::npos) return true;
    at = comma + 1;
  }
}

}  // namespace

Result<PostPolicy> ParsePostPolicy(std::string_view base64) {
  auto text = Base64Decode(base64);
  if (!text) return InvalidPolicy("Policy is not base64 encoded");
  json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return InvalidPolicy("Policy could not be parsed as a valid JSON string");
  PostPolicy p;
  auto expiration = doc.find("expiration");
  if (expiration == doc.end() || !expiration->is_string()) {
    return InvalidPolicy("Policy missing expiration.");
  }
  auto when = ParseIso8601(expiration->get<std::string>());
  if (!when) return InvalidPolicy("Invalid 'expiration' value: " + expiration->dump());
  p.expiration_ns = *when;
  auto conditions = doc.find("conditions");
  if (conditions == doc.end() || !conditions->is_array()) {
    return InvalidPolicy("Policy missing conditions.");
  }
  for (const json& c : *conditions) {
    if (c.is_object()) {
      if (c.size() != 1) return InvalidPolicy("Invalid Condition: " + c.dump());
      auto it = c.begin();
      FERRY_ASSIGN_OR_RETURN(
          PostCondition cond,
          FieldCondition(PostCondition::Kind::kEq, json(it.key()), it.value(),
                         "[\"eq\", \"$" + it.key() + "\", " + it.value().dump() + "]"));
      p.conditions.push_back(std::move(cond));
      continue;
    }
    if (!c.is_array() || c.empty() || !c[0].is_string()) {
      return InvalidPolicy("Invalid Condition: " + c.dump());
    }
    const std::string op = AsciiLower(c[0].get<std::string>());
    if (op == "content-length-range") {
      if (c.size() != 3) return InvalidPolicy("Invalid content-length-range");
      FERRY_ASSIGN_OR_RETURN(p.min_length, Length(c[1]));
      FERRY_ASSIGN_OR_RETURN(p.max_length, Length(c[2]));
      continue;
    }
    if ((op != "eq" && op != "starts-with") || c.size() != 3) {
      return InvalidPolicy("Invalid Condition: " + c.dump());
    }
    FERRY_ASSIGN_OR_RETURN(
        PostCondition cond,
        FieldCondition(op == "eq" ? PostCondition::Kind::kEq : PostCondition::Kind::kStartsWith,
                       c[1], c[2], c.dump()));
    p.conditions.push_back(std::move(cond));
  }
  return p;
}

Status CheckPostFields(const PostPolicy& policy, const std::map<std::string, std::string>& fields,
                       int64_t now_ns) {
  if (now_ns >= policy.expiration_ns) return Denied("Policy expired.");
  std::set<std::string, std::less<>> named;
  for (const PostCondition& c : policy.conditions) {
    named.insert(c.field);
    auto it = fields.find(c.field);
    const std::string value = it == fields.end() ? std::string() : it->second;
    if (!Meets(c, value)) return Denied("Policy Condition failed: " + c.text);
  }
  for (const auto& [name, value] : fields) {
    if (name == "bucket" || kUnchecked.contains(name) || name.starts_with("x-ignore-")) continue;
    if (!named.contains(name)) return Denied("Extra input fields: " + name);
  }
  return Status::OK();
}

Status CheckPostLength(const PostPolicy& policy, uint64_t size) {
  if (size > policy.max_length) {
    return Status::InvalidArgument("Your proposed upload exceeds the maximum allowed size")
        .WithS3Code("EntityTooLarge", 400);
  }
  if (size < policy.min_length) {
    return Status::InvalidArgument("Your proposed upload is smaller than the minimum allowed size")
        .WithS3Code("EntityTooSmall", 400);
  }
  return Status::OK();
}

}  // namespace ferry::s3
