// XmlSafeText: the text filter behind every XML builder (declared in xml.h).
#include <cstdint>

#include "s3/xml.h"

namespace ferry::s3 {
namespace {

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string XmlSafeText(std::string_view text) {
  constexpr uint32_t kReplacement = 0xFFFD;
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      bool legal = c >= 0x20 || c == '\t' || c == '\n' || c == '\r';
      if (legal) {
        out += static_cast<char>(c);
      } else {
        AppendUtf8(out, kReplacement);
      }
      ++p;
      continue;
    }
    int extra = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
    uint32_t min = extra == 1 ? 0x80 : extra == 2 ? 0x800 : 0x10000;
    uint32_t cp = extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
    bool ok = extra > 0 && end - p > extra;
    for (int i = 1; ok && i <= extra; ++i) {
      ok = (p[i] & 0xC0) == 0x80;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    ok = ok && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    if (ok) {
      if (cp == 0xFFFE || cp == 0xFFFF) {  // well-formed UTF-8, but not an XML character
        AppendUtf8(out, kReplacement);
      } else {
        out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(extra) + 1);
      }
      p += extra + 1;
    } else {
      AppendUtf8(out, kReplacement);
      ++p;  // resynchronise on the next byte
    }
  }
  return out;
}

}  // namespace ferry::s3
