#include "s3/public_access_block.h"

#include "s3/xml_dom.h"

namespace ferry::s3 {
namespace {

struct Field {
  const char* name;
  bool PublicAccessBlock::*value;
};

constexpr Field kFields[] = {
    {"BlockPublicAcls", &PublicAccessBlock::block_public_acls},
    {"IgnorePublicAcls", &PublicAccessBlock::ignore_public_acls},
    {"BlockPublicPolicy", &PublicAccessBlock::block_public_policy},
    {"RestrictPublicBuckets", &PublicAccessBlock::restrict_public_buckets},
};

}  // namespace

Result<PublicAccessBlock> ParsePublicAccessBlock(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root,
                         xml::LoadRequest(doc, body, "PublicAccessBlockConfiguration"));
  PublicAccessBlock block;
  for (const Field& f : kFields) {
    pugi::xml_node node = xml::Child(root, f.name);
    if (!node) continue;
    const std::string raw = xml::Text(node);
    const std::string_view text = xml::TrimWs(raw);
    if (text == "true" || text == "TRUE" || text == "True") {
      block.*f.value = true;
    } else if (text != "false" && text != "FALSE" && text != "False") {
      return xml::Malformed();
    }
  }
  return block;
}

std::string PublicAccessBlockXml(const PublicAccessBlock& block) {
  pugi::xml_document doc;
  pugi::xml_node root = xml::NewRoot(doc, "PublicAccessBlockConfiguration");
  for (const Field& f : kFields) {
    root.append_child(f.name).text() = block.*f.value ? "true" : "false";
  }
  return xml::Save(doc);
}

std::string PolicyStatusXml(bool is_public) {
  pugi::xml_document doc;
  pugi::xml_node root = xml::NewRoot(doc, "PolicyStatus");
  root.append_child("IsPublic").text() = is_public ? "true" : "false";
  return xml::Save(doc);
}

}  // namespace ferry::s3
