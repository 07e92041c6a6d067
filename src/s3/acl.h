// S3 access control lists: grants of a permission to a user or a group, set by a canned ACL
// (x-amz-acl), explicit grant headers (x-amz-grant-*) or an <AccessControlPolicy> document, and
// which requests they allow. Pure functions; thread-safe.
//
// The owner of a resource always holds FULL_CONTROL of it; an Acl lists the grants to
// everyone else. Its stored form (EncodeAcl) is one line per grant, "PERMISSION id=USER" or
// "PERMISSION uri=GROUP-URI"; the empty string is the private ACL.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/result.h"

namespace ferry::s3 {

struct Owner;

enum class Permission { kRead, kWrite, kReadAcp, kWriteAcp, kFullControl };

inline constexpr std::string_view kAllUsersUri = "http://acs.amazonaws.com/groups/global/AllUsers";
inline constexpr std::string_view kAuthenticatedUsersUri =
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
inline constexpr std::string_view kLogDeliveryUri =
    "http://acs.amazonaws.com/groups/s3/LogDelivery";

// S3 accepts at most 100 grants in one ACL.
inline constexpr size_t kMaxGrants = 100;

struct Grant {
  // Exactly one of the two: a user's id (server/users.h) or a group's URI.
  std::string user_id;
  std::string group_uri;
  Permission permission = Permission::kRead;

  bool operator==(const Grant&) const = default;
};

using Acl = std::vector<Grant>;

std::string_view PermissionName(Permission p);

// A canned ACL's grants besides the owner's: "private", "public-read", "public-read-write",
// "authenticated-read", "log-delivery-write", and "bucket-owner-read" and
// "bucket-owner-full-control" (no grant beyond the owner's, who in ferry is the bucket's
// owner). InvalidArgument for any other name.
Result<Acl> CannedAcl(std::string_view name);

// The ACL a request asks for with x-amz-acl or x-amz-grant-read / -write / -read-acp /
// -write-acp / -full-control ("id=\"…\", uri=\"…\"", comma-separated); nullopt when it names
// none. InvalidRequest when it uses both kinds; InvalidArgument for a malformed grantee;
// UnresolvableGrantByEmailAddress for an emailAddress grantee.
using HeaderLookup = std::function<std::optional<std::string_view>(std::string_view)>;
Result<std::optional<Acl>> AclFromHeaders(const HeaderLookup& header);

// An <AccessControlPolicy> request body: MalformedACLError for a document without an owner or
// with a grant S3 would not parse (an unknown permission or grantee type, a grantee without
// its ID or URI, more than kMaxGrants grants); InvalidArgument for a group S3 does not know;
// UnresolvableGrantByEmailAddress for an email grantee; AccessDenied when the owner it names
// is not owner_id. Grants to the owner are dropped (the owner holds FULL_CONTROL anyway).
Result<Acl> ParseAccessControlPolicy(std::string_view body, std::string_view owner_id);

// The document GetBucketAcl and GetObjectAcl answer: the owner's FULL_CONTROL, then acl.
// display_name gives a user's display name (empty: none shown).
std::string AccessControlPolicyXml(
    const Owner& owner, const Acl& acl,
    const std::function<std::string(std::string_view)>& display_name);

// Drops the grants to owner_id, which holds FULL_CONTROL anyway.
Acl WithoutOwner(Acl acl, std::string_view owner_id);

std::string EncodeAcl(const Acl& acl);
// Corruption for text EncodeAcl did not write.
Result<Acl> DecodeAcl(std::string_view text);

// A grant to AllUsers or AuthenticatedUsers: what S3's Block Public Access calls public.
bool IsPublicGrant(const Grant& grant);
bool IsPublic(const Acl& acl);

// Who asks: a user, or nobody (an anonymous request).
struct Requester {
  std::optional<std::string> user_id;
};

// Whether acl grants `wanted` to the requester: directly, through FULL_CONTROL, or through
// the AllUsers or (signed requests) AuthenticatedUsers groups, unless ignore_public.
bool Grants(const Acl& acl, const Requester& who, Permission wanted, bool ignore_public);

}  // namespace ferry::s3
