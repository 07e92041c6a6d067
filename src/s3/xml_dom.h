// Small pugixml helpers shared by the S3 XML builders and parsers (internal to s3/): writing
// a document with the S3 namespace, and namespace-tolerant reading of elements and text.
#pragma once

#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/result.h"

namespace ferry::s3::xml {

// A new document's root element, after the XML declaration, with the S3 namespace unless
// with_namespace is false.
pugi::xml_node NewRoot(pugi::xml_document& doc, const char* name, bool with_namespace = true);
// The document as compact UTF-8 text; a raw CR becomes "&#13;" so that parsers, which turn a
// literal CR into LF, give back the original text.
std::string Save(const pugi::xml_document& doc);

// The element name without a namespace prefix.
std::string_view LocalName(pugi::xml_node node);
// The first child element / every child element with that local name.
pugi::xml_node Child(pugi::xml_node parent, std::string_view name);
std::vector<pugi::xml_node> Children(pugi::xml_node parent, std::string_view name);
// The concatenated character data of an element (text and CDATA), untrimmed: keys may begin
// or end with spaces.
std::string Text(pugi::xml_node node);
// Without leading and trailing XML whitespace.
std::string_view TrimWs(std::string_view s);

// MalformedXML with S3's message.
Status Malformed();
// Parses a request body and returns its root element if it is named root_name (MalformedXML
// otherwise). Whitespace-only text is kept when it is an element's only content, so a key of
// " " survives; no DOCTYPE processing, so no entity expansion beyond the predefined ones.
Result<pugi::xml_node> LoadRequest(pugi::xml_document& doc, std::string_view body,
                                   std::string_view root_name);

}  // namespace ferry::s3::xml
