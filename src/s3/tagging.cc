#include "s3/tagging.h"

#include <cctype>
#include <pugixml.hpp>
#include <set>

#include "s3/errors.h"
#include "s3/uri.h"
#include "s3/xml_dom.h"

namespace ferry::s3 {
namespace {

Status InvalidTag(std::string_view message) {
  return Status::InvalidArgument(message).WithS3Code("InvalidTag", 400);
}

// Characters, counted as Unicode code points (S3 counts UTF-16 units; the same for the
// letters people use in tags); -1 when not valid UTF-8.
int CodePoints(std::string_view s) {
  int n = 0;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return -1;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return -1;
    }
    i += len;
    ++n;
  }
  return n;
}

// ASCII must be a letter, digit, white space or one of _ . : / = + - @; other characters
// (letters of other scripts) are allowed as they come.
bool AllowedCharacters(std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) continue;
    if (std::isalnum(c) || c == ' ' || c == '\t' ||
        std::string_view("_.:/=+-@").find(ch) != std::string_view::npos) {
      continue;
    }
    return false;
  }
  return true;
}

std::string FormDecodeSpaces(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '+') c = ' ';
  }
  return out;
}

}  // namespace

Result<Tags> ParseTaggingHeader(std::string_view header) {
  auto invalid = [] {
    return s3err::InvalidArgument(
        "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query "
        "parameters without tag name duplicates.");
  };
  Tags tags;
  std::set<std::string> seen;
  size_t start = 0;
  while (start <= header.size()) {
    size_t amp = header.find('&', start);
    std::string_view piece = header.substr(start, amp - start);
    if (!piece.empty()) {
      size_t eq = piece.find('=');
      auto key = UriDecode(FormDecodeSpaces(piece.substr(0, eq)));
      auto value =
          UriDecode(FormDecodeSpaces(eq == std::string_view::npos ? "" : piece.substr(eq + 1)));
      if (!key || !value || !seen.insert(*key).second) return invalid();
      tags.emplace_back(std::move(*key), std::move(*value));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return tags;
}

std::string TaggingHeader(const Tags& tags) {
  std::string out;
  for (const auto& [k, v] : tags) {
    if (!out.empty()) out += '&';
    out += UriEncode(k, true) + "=" + UriEncode(v, true);
  }
  return out;
}

Result<Tags> ParseTaggingXml(std::string_view body) {
  auto malformed = [] { return xml::Malformed(); };
  pugi::xml_document doc;
  FERRY_ASSIGN_OR_RETURN(pugi::xml_node root, xml::LoadRequest(doc, body, "Tagging"));
  pugi::xml_node set = xml::Child(root, "TagSet");
  if (!set) return malformed();
  Tags tags;
  std::set<std::string> seen;
  for (pugi::xml_node tag : xml::Children(set, "Tag")) {
    pugi::xml_node key = xml::Child(tag, "Key");
    pugi::xml_node value = xml::Child(tag, "Value");
    if (!key || !value) return malformed();
    std::string k = xml::Text(key);
    if (!seen.insert(k).second) return InvalidTag("Cannot provide multiple Tags with the same key");
    tags.emplace_back(std::move(k), xml::Text(value));
  }
  return tags;
}

std::string TaggingXml(const Tags& tags) {
  pugi::xml_document doc;
  pugi::xml_node set = xml::NewRoot(doc, "Tagging").append_child("TagSet");
  for (const auto& [k, v] : tags) {
    pugi::xml_node tag = set.append_child("Tag");
    tag.append_child("Key").text().set(k.c_str());
    tag.append_child("Value").text().set(v.c_str());
  }
  return xml::Save(doc);
}

Status ValidateTags(const Tags& tags, size_t max_tags) {
  if (tags.size() > max_tags) {
    return Status::InvalidArgument(max_tags == kMaxObjectTags
                                       ? "Object tags cannot be greater than 10"
                                       : "Bucket tag count cannot be greater than 50")
        .WithS3Code("BadRequest", 400);
  }
  std::set<std::string_view> seen;
  for (const auto& [k, v] : tags) {
    int key_chars = CodePoints(k);
    if (key_chars < 1 || key_chars > 128 || !AllowedCharacters(k)) {
      return InvalidTag("The TagKey you have provided is invalid");
    }
    int value_chars = CodePoints(v);
    if (value_chars < 0 || value_chars > 256 || !AllowedCharacters(v)) {
      return InvalidTag("The TagValue you have provided is invalid");
    }
    if (k.starts_with("aws:")) return InvalidTag("Your TagKey cannot be prefixed with aws:");
    if (!seen.insert(k).second) return InvalidTag("Cannot provide multiple Tags with the same key");
  }
  return Status::OK();
}

}  // namespace ferry::s3
