// ASCII text helpers for protocol fields (header names, form field names, query parameters),
// which are ASCII whatever the locale: no <cctype> locale lookups. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace ferry {

// A-Z to a-z; every other byte unchanged.
inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
inline std::string_view TrimSpaceTab(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace ferry
