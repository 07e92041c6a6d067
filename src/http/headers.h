// Headers: an ordered list of HTTP header fields with case-insensitive lookup.
// Thread-compatible value type.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::http {

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLower(std::string_view s);

class Headers {
 public:
  struct Field {
    std::string name;
    std::string value;
  };

  void Add(std::string_view name, std::string_view value) {
    fields_.push_back({std::string(name), std::string(value)});
  }
  // Replaces every field of that name with one field.
  void Set(std::string_view name, std::string_view value);
  // The first field of that name.
  std::optional<std::string_view> Get(std::string_view name) const;
  std::string GetOr(std::string_view name, std::string_view fallback) const {
    auto v = Get(name);
    return std::string(v ? *v : fallback);
  }
  bool Has(std::string_view name) const { return Get(name).has_value(); }

  void Reserve(size_t n) { fields_.reserve(n); }
  const std::vector<Field>& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }

 private:
  std::vector<Field> fields_;
};

}  // namespace ferry::http
