// A set of byte ranges of a file, kept as sorted, disjoint, non-adjacent [begin, end) runs:
// which bytes of a gateway file are held in its local data file, and which were changed and
// not yet uploaded. Encoded as "b-e,b-e" in the gateway's state database. Value type.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/result.h"

namespace ferry::gateway {

struct ByteSpan {
  uint64_t begin = 0;
  uint64_t end = 0;  // exclusive
  uint64_t size() const { return end - begin; }
  bool operator==(const ByteSpan&) const = default;
};

class RangeSet {
 public:
  void Add(uint64_t begin, uint64_t end);
  // Removes every byte at or past size.
  void TruncateTo(uint64_t size);
  void Clear() { runs_.clear(); }

  bool empty() const { return runs_.empty(); }
  uint64_t bytes() const;
  bool Contains(uint64_t begin, uint64_t end) const;
  bool Overlaps(uint64_t begin, uint64_t end) const;
  // The parts of [begin, end) not in the set, in order.
  std::vector<ByteSpan> Missing(uint64_t begin, uint64_t end) const;
  std::vector<ByteSpan> Spans() const;

  std::string Encode() const;
  static Result<RangeSet> Decode(std::string_view text);

  bool operator==(const RangeSet&) const = default;

 private:
  std::map<uint64_t, uint64_t> runs_;  // begin → end
};

}  // namespace ferry::gateway
