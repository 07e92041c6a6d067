#include "s3/xml_parse.h"

#include "s3/xml_dom.h"

#include <charconv>
#include <cstring>

#include <pugixml.hpp>

#include "s3/errors.h"

namespace ferry::s3 {
namespace {

using xml::Child;
using xml::Children;
using xml::LocalName;
using xml::Malformed;
using xml::Text;
using xml::TrimWs;

constexpr int kMaxPartNumber = 10000;

}  // namespace

Result<std::vector<CompletedPart>> ParseCompleteMultipartUpload(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root,
                         xml::LoadRequest(doc, body, "CompleteMultipartUpload"));
  std::vector<CompletedPart> parts;
  for (pugi::xml_node node : Children(root, "Part")) {
    CompletedPart part;
    pugi::xml_node number = Child(node, "PartNumber");
    if (!number) return Malformed();
    std::string text(TrimWs(Text(number)));
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), part.part_number);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return Malformed();
    if (part.part_number < 1 || part.part_number > kMaxPartNumber) {
      return s3err::InvalidArgument("Part number must be an integer between 1 and 10000");
    }
    pugi::xml_node etag = Child(node, "ETag");
    if (!etag) return Malformed();
    part.etag = std::string(TrimWs(Text(etag)));
    for (pugi::xml_node child : node.children()) {
      std::string_view name = LocalName(child);
      if (child.type() == pugi::node_element && name.starts_with("Checksum") &&
          name != "ChecksumType") {
        part.checksum = std::string(TrimWs(Text(child)));
      }
    }
    parts.push_back(std::move(part));
  }
  if (parts.empty()) return Malformed();
  return parts;
}

Result<DeleteObjectsRequest> ParseDeleteObjects(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root, xml::LoadRequest(doc, body, "Delete"));
  DeleteObjectsRequest req;
  if (pugi::xml_node quiet = Child(root, "Quiet")) {
    const std::string text = Text(quiet);
    std::string_view v = TrimWs(text);
    if (v == "true") {
      req.quiet = true;
    } else if (v != "false") {
      return Malformed();
    }
  }
  std::vector<pugi::xml_node> objects = Children(root, "Object");
  if (objects.empty() || objects.size() > kMaxDeleteObjects) return Malformed();
  for (pugi::xml_node object : objects) {
    pugi::xml_node key = Child(object, "Key");
    if (!key) return Malformed();
    req.keys.push_back(Text(key));  // keys are taken verbatim, whitespace included
    pugi::xml_node version = Child(object, "VersionId");
    req.version_ids.push_back(version ? std::string(TrimWs(Text(version))) : std::string());
  }
  return req;
}

Result<VersioningStatus> ParseVersioningConfiguration(std::string_view body) {
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root,
                         xml::LoadRequest(doc, body, "VersioningConfiguration"));
  pugi::xml_node status = Child(root, "Status");
  if (!status) {
    return Status::InvalidArgument("The Versioning element must be specified")
        .WithS3Code("IllegalVersioningConfigurationException", 400);
  }
  const std::string text = Text(status);
  std::string_view v = TrimWs(text);
  if (v == "Enabled") return VersioningStatus::kEnabled;
  if (v == "Suspended") return VersioningStatus::kSuspended;
  return Malformed();
}

Result<std::string> ParseCreateBucketConfiguration(std::string_view body) {
  if (TrimWs(body).empty()) return std::string();
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root,
                         xml::LoadRequest(doc, body, "CreateBucketConfiguration"));
  pugi::xml_node location = Child(root, "LocationConstraint");
  return std::string(location ? TrimWs(Text(location)) : std::string_view());
}

}  // namespace ferry::s3
