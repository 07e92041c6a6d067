#include "s3/acl.h"

#include <gtest/gtest.h>

#include <map>
#include <pugixml.hpp>
#include <string>

#include "s3/public_access_block.h"
#include "s3/xml.h"

namespace ferry::s3 {
namespace {

const Grant kAllRead{
    .user_id = {}, .group_uri = std::string(kAllUsersUri), .permission = Permission::kRead};

std::string CodeOf(const Status& st) {
  return st.ok() ? "ok" : st.s3_code();
}

Result<std::optional<Acl>> FromHeaders(const std::map<std::string, std::string>& headers) {
  return AclFromHeaders([&](std::string_view name) -> std::optional<std::string_view> {
    auto it = headers.find(std::string(name));
    if (it == headers.end()) return std::nullopt;
    return std::string_view(it->second);
  });
}

std::string Policy(const std::string& owner, const std::string& grants) {
  return "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>" +
         owner + "</ID></Owner><AccessControlList>" + grants +
         "</AccessControlList></AccessControlPolicy>";
}

std::string UserGrant(const std::string& id, const std::string& permission) {
  return "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
         "xsi:type=\"CanonicalUser\"><ID>" +
         id + "</ID></Grantee><Permission>" + permission + "</Permission></Grant>";
}

std::string GroupGrant(const std::string& uri, const std::string& permission) {
  return "<Grant><Grantee xmlns:x=\"http://www.w3.org/2001/XMLSchema-instance\" "
         "x:type=\"Group\"><URI>" +
         uri + "</URI></Grantee><Permission>" + permission + "</Permission></Grant>";
}

TEST(AclTest, CannedAclsGrantWhatS3Says) {
  EXPECT_TRUE(CannedAcl("private")->empty());
  EXPECT_TRUE(CannedAcl("bucket-owner-full-control")->empty());
  EXPECT_EQ(*CannedAcl("public-read"), Acl{kAllRead});
  EXPECT_EQ(CannedAcl("public-read-write")->size(), 2u);
  EXPECT_EQ(CannedAcl("authenticated-read")->at(0).group_uri, kAuthenticatedUsersUri);
  EXPECT_EQ(CodeOf(CannedAcl("public").status()), "InvalidArgument");
  EXPECT_EQ(CodeOf(CannedAcl("").status()), "InvalidArgument");
}

TEST(AclTest, HeadersGiveACannedAclOrGrants) {
  auto none = FromHeaders({});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto canned = FromHeaders({{"x-amz-acl", "public-read"}});
  ASSERT_TRUE(canned.ok() && canned->has_value());
  EXPECT_EQ(**canned, Acl{kAllRead});
  auto grants =
      FromHeaders({{"x-amz-grant-read", "id=\"alice\", uri=\"" + std::string(kAllUsersUri) + "\""},
                   {"x-amz-grant-write-acp", "ID=bob"}});
  ASSERT_TRUE(grants.ok()) << grants.status().ToString();
  ASSERT_EQ((*grants)->size(), 3u);
  EXPECT_EQ((*grants)->at(0).user_id, "alice");
  EXPECT_EQ((*grants)->at(1).group_uri, kAllUsersUri);
  EXPECT_EQ((*grants)->at(2),
            (Grant{.user_id = "bob", .group_uri = {}, .permission = Permission::kWriteAcp}));
  EXPECT_EQ(CodeOf(FromHeaders({{"x-amz-acl", "private"}, {"x-amz-grant-read", "id=a"}}).status()),
            "InvalidRequest");
  EXPECT_EQ(CodeOf(FromHeaders({{"x-amz-grant-read", "emailAddress=\"a@b.c\""}}).status()),
            "UnresolvableGrantByEmailAddress");
  EXPECT_EQ(CodeOf(FromHeaders({{"x-amz-grant-read", "uri=\"http://evil/\""}}).status()),
            "InvalidArgument");
  EXPECT_EQ(CodeOf(FromHeaders({{"x-amz-grant-read", "alice"}}).status()), "InvalidArgument");
  EXPECT_EQ(CodeOf(FromHeaders({{"x-amz-grant-read", "id=\"\""}}).status()), "InvalidArgument");
  EXPECT_EQ(CodeOf(FromHeaders({{"x-amz-acl", "everyone"}}).status()), "InvalidArgument");
}

TEST(AclTest, PolicyDocumentsAreReadAndWrittenBack) {
  auto acl = ParseAccessControlPolicy(
      Policy("alice", UserGrant("alice", "FULL_CONTROL") + UserGrant("bob", "READ") +
                          GroupGrant(std::string(kAllUsersUri), "READ")),
      "alice");
  ASSERT_TRUE(acl.ok()) << acl.status().ToString();
  ASSERT_EQ(acl->size(), 2u) << "the owner's own grant is implied";
  EXPECT_EQ(acl->at(0).user_id, "bob");
  EXPECT_EQ(acl->at(1), kAllRead);

  const std::string xml = AccessControlPolicyXml(
      Owner{"alice", "Alice"}, *acl,
      [](std::string_view id) { return id == "bob" ? std::string("Bob") : std::string(); });
  auto again = ParseAccessControlPolicy(xml, "alice");
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << xml;
  EXPECT_EQ(*again, *acl);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str()));
  auto first = doc.first_element_by_path("AccessControlPolicy/AccessControlList/Grant");
  EXPECT_STREQ(first.child("Permission").text().get(), "FULL_CONTROL");
  EXPECT_STREQ(first.child("Grantee").child("ID").text().get(), "alice");
  EXPECT_STREQ(first.next_sibling("Grant").child("Grantee").child("DisplayName").text().get(),
               "Bob");
  EXPECT_STREQ(first.child("Grantee").attribute("xsi:type").value(), "CanonicalUser");
}

TEST(AclTest, BadPolicyDocumentsAreRefusedWithS3sCodes) {
  const auto code = [](const std::string& body) {
    return CodeOf(ParseAccessControlPolicy(body, "alice").status());
  };
  EXPECT_EQ(code("not xml"), "MalformedACLError");
  EXPECT_EQ(code("<AccessControlPolicy/>"), "MalformedACLError");
  EXPECT_EQ(code(Policy("bob", "")), "AccessDenied") << "another owner";
  EXPECT_EQ(code(Policy("alice", UserGrant("bob", "READ_ALL"))), "MalformedACLError");
  EXPECT_EQ(code(Policy("alice", UserGrant("", "READ"))), "MalformedACLError");
  EXPECT_EQ(
      code(Policy("alice", GroupGrant("http://acs.amazonaws.com/groups/global/Nobody", "READ"))),
      "InvalidArgument");
  EXPECT_EQ(code(Policy("alice",
                        "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                        "xsi:type=\"AmazonCustomerByEmail\"><EmailAddress>a@b.c</EmailAddress>"
                        "</Grantee><Permission>READ</Permission></Grant>")),
            "UnresolvableGrantByEmailAddress");
  std::string many;
  for (int i = 0; i <= 100; ++i) many += UserGrant("u" + std::to_string(i), "READ");
  EXPECT_EQ(code(Policy("alice", many)), "MalformedACLError");
  EXPECT_EQ(code(Policy("alice", "")), "ok") << "no grant: private";
}

TEST(AclTest, StoredFormRoundTripsAndRefusesGarbage) {
  Acl acl{kAllRead, {.user_id = "bob", .group_uri = {}, .permission = Permission::kWriteAcp}};
  auto back = DecodeAcl(EncodeAcl(acl));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, acl);
  EXPECT_TRUE(DecodeAcl("")->empty());
  EXPECT_FALSE(DecodeAcl("READ someone").ok());
  EXPECT_FALSE(DecodeAcl("READALL id=x").ok());
}

TEST(AclTest, GrantsAllowWhomTheyName) {
  const Requester bob{"bob"}, carol{"carol"}, anonymous{};
  const Acl acl{{.user_id = "bob", .group_uri = {}, .permission = Permission::kFullControl},
                {.user_id = {},
                 .group_uri = std::string(kAuthenticatedUsersUri),
                 .permission = Permission::kRead}};
  EXPECT_TRUE(Grants(acl, bob, Permission::kWriteAcp, false)) << "through FULL_CONTROL";
  EXPECT_TRUE(Grants(acl, carol, Permission::kRead, false)) << "any signed request";
  EXPECT_FALSE(Grants(acl, carol, Permission::kWrite, false));
  EXPECT_FALSE(Grants(acl, anonymous, Permission::kRead, false));
  EXPECT_FALSE(Grants(acl, carol, Permission::kRead, true)) << "public grants ignored";
  EXPECT_TRUE(Grants(acl, bob, Permission::kRead, true));
  EXPECT_TRUE(Grants(Acl{kAllRead}, anonymous, Permission::kRead, false));
  EXPECT_FALSE(Grants(Acl{kAllRead}, anonymous, Permission::kRead, true));
  EXPECT_TRUE(IsPublic(acl));
  EXPECT_FALSE(IsPublic(Acl{acl[0]}));
}

TEST(PublicAccessBlockTest, ReadAndWrittenBack) {
  auto block = ParsePublicAccessBlock(
      "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls>"
      "<RestrictPublicBuckets>TRUE</RestrictPublicBuckets></PublicAccessBlockConfiguration>");
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  EXPECT_TRUE(block->block_public_acls);
  EXPECT_FALSE(block->ignore_public_acls);
  EXPECT_FALSE(block->block_public_policy);
  EXPECT_TRUE(block->restrict_public_buckets);
  auto again = ParsePublicAccessBlock(PublicAccessBlockXml(*block));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *block);
  EXPECT_EQ(CodeOf(ParsePublicAccessBlock("<PublicAccessBlockConfiguration><BlockPublicAcls>yes"
                                          "</BlockPublicAcls></PublicAccessBlockConfiguration>")
                       .status()),
            "MalformedXML");
  EXPECT_EQ(CodeOf(ParsePublicAccessBlock("<Other/>").status()), "MalformedXML");
}

}  // namespace
}  // namespace ferry::s3
