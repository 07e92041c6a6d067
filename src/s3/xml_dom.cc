#include "s3/xml_dom.h"

#include "s3/errors.h"
#include "s3/xml.h"

namespace ferry::s3::xml {
namespace {

class StringWriter final : public pugi::xml_writer {
 public:
  void write(const void* data, size_t size) override {
    const char* p = static_cast<const char*>(data);
    for (size_t i = 0; i < size; ++i) {
      if (p[i] == '\r') {
        out.append("&#13;");
      } else {
        out.push_back(p[i]);
      }
    }
  }
  std::string out;
};

}  // namespace

pugi::xml_node NewRoot(pugi::xml_document& doc, const char* name, bool with_namespace) {
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child(name);
  if (with_namespace) root.append_attribute("xmlns") = std::string(kS3XmlNamespace).c_str();
  return root;
}

std::string Save(const pugi::xml_document& doc) {
  StringWriter writer;
  doc.save(writer, "", pugi::format_raw, pugi::encoding_utf8);
  return std::move(writer.out);
}

std::string_view LocalName(pugi::xml_node node) {
  std::string_view name = node.name();
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node Child(pugi::xml_node parent, std::string_view name) {
  for (pugi::xml_node child : parent.children()) {
    if (child.type() == pugi::node_element && LocalName(child) == name) return child;
  }
  return {};
}

std::vector<pugi::xml_node> Children(pugi::xml_node parent, std::string_view name) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node child : parent.children()) {
    if (child.type() == pugi::node_element && LocalName(child) == name) out.push_back(child);
  }
  return out;
}

std::string Text(pugi::xml_node node) {
  std::string out;
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      out += child.value();
    }
  }
  return out;
}

std::string_view TrimWs(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

Status Malformed() {
  return s3err::MalformedXML(
      "The XML you provided was not well-formed or did not validate against our published "
      "schema");
}

Result<pugi::xml_node> LoadRequest(pugi::xml_document& doc, std::string_view body,
                                   std::string_view root_name) {
  const unsigned options = pugi::parse_default | pugi::parse_ws_pcdata_single;
  pugi::xml_parse_result parsed =
      doc.load_buffer(body.data(), body.size(), options, pugi::encoding_utf8);
  if (!parsed) return Malformed();
  pugi::xml_node root = doc.document_element();
  if (!root || LocalName(root) != root_name) return Malformed();
  return root;
}

}  // namespace ferry::s3::xml
