// Splits a fuzzer's input into the pieces a harness needs, so one byte string drives several
// parameters. Pieces are separated by a byte that seeds can write by hand ('\n' unless
// told otherwise); the last piece is the rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ferry::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

  // The next piece up to (not including) sep; the rest when sep does not occur.
  std::string_view Piece(char sep = '\n') {
    size_t at = rest_.find(sep);
    std::string_view piece = rest_.substr(0, at);
    rest_ = at == std::string_view::npos ? std::string_view() : rest_.substr(at + 1);
    return piece;
  }

  // One byte as a small number (0 when the input is used up).
  uint8_t Byte() {
    if (rest_.empty()) return 0;
    uint8_t b = static_cast<uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }

  std::string_view Rest() const { return rest_; }

 private:
  std::string_view rest_;
};

}  // namespace ferry::fuzz
