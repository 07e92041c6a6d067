#include "s3/acl.h"

#include <algorithm>

#include "core/ascii.h"
#include "s3/xml.h"
#include "s3/xml_dom.h"

namespace ferry::s3 {
namespace {

struct PermissionSpelling {
  Permission permission;
  std::string_view name;
  std::string_view grant_header;
};

constexpr PermissionSpelling kPermissions[] = {
    {Permission::kRead, "READ", "x-amz-grant-read"},
    {Permission::kWrite, "WRITE", "x-amz-grant-write"},
    {Permission::kReadAcp, "READ_ACP", "x-amz-grant-read-acp"},
    {Permission::kWriteAcp, "WRITE_ACP", "x-amz-grant-write-acp"},
    {Permission::kFullControl, "FULL_CONTROL", "x-amz-grant-full-control"},
};

constexpr std::string_view kKnownGroups[] = {kAllUsersUri, kAuthenticatedUsersUri, kLogDeliveryUri};

std::optional<Permission> ParsePermission(std::string_view name) {
  for (const auto& p : kPermissions) {
    if (p.name == name) return p.permission;
  }
  return std::nullopt;
}

Status MalformedAcl() {
  return Status::InvalidArgument(
             "The XML you provided was not well-formed or did not validate against our "
             "published schema")
      .WithS3Code("MalformedACLError", 400);
}

Status UnresolvableEmail() {
  return Status::InvalidArgument(
             "The e-mail address you provided does not match any account on record.")
      .WithS3Code("UnresolvableGrantByEmailAddress", 400);
}

Status BadArgument(std::string message) {
  return Status::InvalidArgument(std::move(message)).WithS3Code("InvalidArgument", 400);
}

Status CheckGroup(std::string_view uri) {
  if (std::find(std::begin(kKnownGroups), std::end(kKnownGroups), uri) == std::end(kKnownGroups)) {
    return BadArgument("Invalid group uri");
  }
  return Status::OK();
}

std::string_view Unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

// `id="a", uri="b"`: the grantees of one x-amz-grant-* header.
Status ParseGrantees(std::string_view list, Permission permission, Acl& out) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = TrimSpaceTab(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) return BadArgument("Invalid grantee: " + std::string(item));
    const std::string type = AsciiLower(TrimSpaceTab(item.substr(0, eq)));
    const std::string_view value = Unquote(TrimSpaceTab(item.substr(eq + 1)));
    if (value.empty()) return BadArgument("Invalid grantee: " + std::string(item));
    Grant g;
    g.permission = permission;
    if (type == "id") {
      g.user_id = value;
    } else if (type == "uri") {
      FERRY_RETURN_IF_ERROR(CheckGroup(value));
      g.group_uri = value;
    } else if (type == "emailaddress") {
      return UnresolvableEmail();
    } else {
      return BadArgument("Invalid grantee type: " + type);
    }
    out.push_back(std::move(g));
  }
  return Status::OK();
}

// The xsi:type of a <Grantee>, whatever prefix names the schema-instance namespace.
std::string_view GranteeType(pugi::xml_node grantee) {
  for (pugi::xml_attribute a : grantee.attributes()) {
    std::string_view name = a.name();
    if (name == "type" || name.ends_with(":type")) return a.value();
  }
  return {};
}

Result<Grant> GrantOf(pugi::xml_node node) {
  pugi::xml_node grantee = xml::Child(node, "Grantee");
  pugi::xml_node permission = xml::Child(node, "Permission");
  if (!grantee || !permission) return MalformedAcl();
  auto p = ParsePermission(xml::TrimWs(xml::Text(permission)));
  if (!p) return MalformedAcl();
  Grant g;
  g.permission = *p;
  const std::string_view type = GranteeType(grantee);
  if (type == "CanonicalUser") {
    g.user_id = xml::TrimWs(xml::Text(xml::Child(grantee, "ID")));
    if (g.user_id.empty()) return MalformedAcl();
  } else if (type == "Group") {
    g.group_uri = xml::TrimWs(xml::Text(xml::Child(grantee, "URI")));
    if (g.group_uri.empty()) return MalformedAcl();
    FERRY_RETURN_IF_ERROR(CheckGroup(g.group_uri));
  } else if (type == "AmazonCustomerByEmail") {
    return UnresolvableEmail();
  } else {
    return MalformedAcl();
  }
  return g;
}

}  // namespace

std::string_view PermissionName(Permission p) {
  for (const auto& s : kPermissions) {
    if (s.permission == p) return s.name;
  }
  return "READ";
}

Result<Acl> CannedAcl(std::string_view name) {
  const auto group = [](std::string_view uri, Permission p) {
    return Grant{.user_id = {}, .group_uri = std::string(uri), .permission = p};
  };
  if (name == "private" || name == "bucket-owner-read" || name == "bucket-owner-full-control") {
    return Acl{};
  }
  if (name == "public-read") return Acl{group(kAllUsersUri, Permission::kRead)};
  if (name == "public-read-write") {
    return Acl{group(kAllUsersUri, Permission::kRead), group(kAllUsersUri, Permission::kWrite)};
  }
  if (name == "authenticated-read") return Acl{group(kAuthenticatedUsersUri, Permission::kRead)};
  if (name == "log-delivery-write") {
    return Acl{group(kLogDeliveryUri, Permission::kWrite),
               group(kLogDeliveryUri, Permission::kReadAcp)};
  }
  return BadArgument("Invalid canned ACL: " + std::string(name));
}

Result<std::optional<Acl>> AclFromHeaders(const HeaderLookup& header) {
  Acl grants;
  bool any_grant = false;
  for (const auto& p : kPermissions) {
    if (auto v = header(p.grant_header)) {
      any_grant = true;
      FERRY_RETURN_IF_ERROR(ParseGrantees(*v, p.permission, grants));
    }
  }
  if (grants.size() > kMaxGrants) return MalformedAcl();
  auto canned = header("x-amz-acl");
  if (canned && any_grant) {
    return Status::InvalidArgument("Specifying both Canned ACLs and Header Grants is not allowed")
        .WithS3Code("InvalidRequest", 400);
  }
  if (canned) {
    FERRY_ASSIGN_OR_RETURN(Acl acl, CannedAcl(TrimSpaceTab(*canned)));
    return std::optional<Acl>(std::move(acl));
  }
  if (any_grant) return std::optional<Acl>(std::move(grants));
  return std::optional<Acl>();
}

Result<Acl> ParseAccessControlPolicy(std::string_view body, std::string_view owner_id) {
  pugi::xml_document doc;
  auto root = xml::LoadRequest(doc, body, "AccessControlPolicy");
  if (!root.ok()) return MalformedAcl();
  pugi::xml_node owner = xml::Child(*root, "Owner");
  if (!owner) return MalformedAcl();
  if (xml::TrimWs(xml::Text(xml::Child(owner, "ID"))) != owner_id) {
    return Status::PermissionDenied("Access Denied").WithS3Code("AccessDenied", 403);
  }
  Acl acl;
  pugi::xml_node list = xml::Child(*root, "AccessControlList");
  if (!list) return MalformedAcl();
  for (pugi::xml_node node : xml::Children(list, "Grant")) {
    if (acl.size() == kMaxGrants) return MalformedAcl();
    FERRY_ASSIGN_OR_RETURN(Grant g, GrantOf(node));
    acl.push_back(std::move(g));
  }
  return WithoutOwner(std::move(acl), owner_id);
}

std::string AccessControlPolicyXml(
    const Owner& owner, const Acl& acl,
    const std::function<std::string(std::string_view)>& display_name) {
  pugi::xml_document doc;
  pugi::xml_node root = xml::NewRoot(doc, "AccessControlPolicy");
  pugi::xml_node owner_node = root.append_child("Owner");
  owner_node.append_child("ID").text() = owner.id.c_str();
  owner_node.append_child("DisplayName").text() = owner.display_name.c_str();
  pugi::xml_node list = root.append_child("AccessControlList");
  const auto add = [&](const Grant& g) {
    pugi::xml_node grant = list.append_child("Grant");
    pugi::xml_node grantee = grant.append_child("Grantee");
    grantee.append_attribute("xmlns:xsi") = "http://www.w3.org/2001/XMLSchema-instance";
    if (!g.user_id.empty()) {
      grantee.append_attribute("xsi:type") = "CanonicalUser";
      grantee.append_child("ID").text() = g.user_id.c_str();
      const std::string name = display_name(g.user_id);
      if (!name.empty()) grantee.append_child("DisplayName").text() = name.c_str();
    } else {
      grantee.append_attribute("xsi:type") = "Group";
      grantee.append_child("URI").text() = g.group_uri.c_str();
    }
    grant.append_child("Permission").text() = std::string(PermissionName(g.permission)).c_str();
  };
  add(Grant{.user_id = owner.id, .group_uri = {}, .permission = Permission::kFullControl});
  for (const Grant& g : acl) add(g);
  return xml::Save(doc);
}

Acl WithoutOwner(Acl acl, std::string_view owner_id) {
  std::erase_if(acl, [&](const Grant& g) { return !g.user_id.empty() && g.user_id == owner_id; });
  return acl;
}

std::string EncodeAcl(const Acl& acl) {
  std::string out;
  for (const Grant& g : acl) {
    out += PermissionName(g.permission);
    out += g.user_id.empty() ? " uri=" : " id=";
    out += g.user_id.empty() ? g.group_uri : g.user_id;
    out += '\n';
  }
  return out;
}

Result<Acl> DecodeAcl(std::string_view text) {
  Acl acl;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const size_t space = line.find(' ');
    auto p = ParsePermission(line.substr(0, space));
    if (!p || space == std::string_view::npos) {
      return Status::Corruption("bad stored ACL line: " + std::string(line));
    }
    std::string_view who = line.substr(space + 1);
    Grant g;
    g.permission = *p;
    if (who.starts_with("id=")) {
      g.user_id = who.substr(3);
    } else if (who.starts_with("uri=")) {
      g.group_uri = who.substr(4);
    } else {
      return Status::Corruption("bad stored ACL line: " + std::string(line));
    }
    acl.push_back(std::move(g));
  }
  return acl;
}

bool IsPublicGrant(const Grant& grant) {
  return grant.group_uri == kAllUsersUri || grant.group_uri == kAuthenticatedUsersUri;
}

bool IsPublic(const Acl& acl) {
  return std::any_of(acl.begin(), acl.end(), IsPublicGrant);
}

bool Grants(const Acl& acl, const Requester& who, Permission wanted, bool ignore_public) {
  for (const Grant& g : acl) {
    if (g.permission != wanted && g.permission != Permission::kFullControl) continue;
    if (ignore_public && IsPublicGrant(g)) continue;
    if (!g.user_id.empty()) {
      if (who.user_id && *who.user_id == g.user_id) return true;
    } else if (g.group_uri == kAllUsersUri) {
      return true;
    } else if (g.group_uri == kAuthenticatedUsersUri && who.user_id) {
      return true;
    }
  }
  return false;
}

}  // namespace ferry::s3
