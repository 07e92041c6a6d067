#include "s3/xml_request.h"

#include <pugixml.hpp>

#include "core/checksum.h"
#include "s3/http_semantics.h"
#include "s3/xml.h"
#include "s3/xml_dom.h"

namespace ferry::s3 {
namespace {

using xml::NewRoot;
using xml::Save;

void Add(pugi::xml_node parent, const char* name, std::string_view value) {
  // pugixml stores C strings: a NUL in a key cannot be represented and is cut here (S3 rejects
  // such keys anyway).
  parent.append_child(name).text().set(std::string(value).c_str());
}

}  // namespace

std::string CompleteMultipartUploadRequestXml(const std::vector<CompletedPart>& parts,
                                              ChecksumAlgorithm algorithm) {
  pugi::xml_document doc;
  pugi::xml_node root = NewRoot(doc, "CompleteMultipartUpload");
  std::string checksum_element = "Checksum" + std::string(ChecksumAlgorithmName(algorithm));
  for (const CompletedPart& p : parts) {
    pugi::xml_node node = root.append_child("Part");
    Add(node, "PartNumber", std::to_string(p.part_number));
    Add(node, "ETag", QuoteEtag(UnquoteEtag(p.etag)));
    if (!p.checksum.empty() && algorithm != ChecksumAlgorithm::kNone) {
      Add(node, checksum_element.c_str(), p.checksum);
    }
  }
  return Save(doc);
}

std::string DeleteObjectsRequestXml(const std::vector<std::string>& keys, bool quiet) {
  pugi::xml_document doc;
  pugi::xml_node root = NewRoot(doc, "Delete");
  Add(root, "Quiet", quiet ? "true" : "false");
  for (const std::string& key : keys) Add(root.append_child("Object"), "Key", key);
  return Save(doc);
}

std::string CreateBucketConfigurationXml(std::string_view region) {
  if (region.empty() || region == "us-east-1") return std::string();
  pugi::xml_document doc;
  pugi::xml_node root = NewRoot(doc, "CreateBucketConfiguration");
  Add(root, "LocationConstraint", region);
  return Save(doc);
}

bool IsXmlSafe(std::string_view text) {
  return XmlSafeText(text) == text;
}

}  // namespace ferry::s3
