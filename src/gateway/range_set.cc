#include "gateway/range_set.h"

#include <charconv>

namespace ferry::gateway {

void RangeSet::Add(uint64_t begin, uint64_t end) {
  if (begin >= end) return;
  // Merge with a run that starts before begin and reaches it.
  auto it = runs_.upper_bound(begin);
  if (it != runs_.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= begin) {
      begin = prev->first;
      end = std::max(end, prev->second);
      it = runs_.erase(prev);
    }
  }
  // Swallow the runs that start within [begin, end].
  while (it != runs_.end() && it->first <= end) {
    end = std::max(end, it->second);
    it = runs_.erase(it);
  }
  runs_.emplace(begin, end);
}

void RangeSet::TruncateTo(uint64_t size) {
  auto it = runs_.lower_bound(size);
  runs_.erase(it, runs_.end());
  if (!runs_.empty()) {
    auto last = std::prev(runs_.end());
    if (last->second > size) last->second = size;
  }
}

uint64_t RangeSet::bytes() const {
  uint64_t total = 0;
  for (const auto& [b, e] : runs_) total += e - b;
  return total;
}

bool RangeSet::Contains(uint64_t begin, uint64_t end) const {
  if (begin >= end) return true;
  auto it = runs_.upper_bound(begin);
  if (it == runs_.begin()) return false;
  --it;
  return it->first <= begin && it->second >= end;
}

bool RangeSet::Overlaps(uint64_t begin, uint64_t end) const {
  if (begin >= end) return false;
  auto it = runs_.lower_bound(end);  // first run starting at or past end
  if (it == runs_.begin()) return false;
  --it;
  return it->second > begin;
}

std::vector<ByteSpan> RangeSet::Missing(uint64_t begin, uint64_t end) const {
  std::vector<ByteSpan> out;
  uint64_t at = begin;
  auto it = runs_.upper_bound(begin);
  if (it != runs_.begin()) --it;
  for (; it != runs_.end() && at < end; ++it) {
    if (it->second <= at) continue;
    if (it->first >= end) break;
    if (it->first > at) out.push_back({at, it->first});
    at = std::max(at, it->second);
  }
  if (at < end) out.push_back({at, end});
  return out;
}

std::vector<ByteSpan> RangeSet::Spans() const {
  std::vector<ByteSpan> out;
  out.reserve(runs_.size());
  for (const auto& [b, e] : runs_) out.push_back({b, e});
  return out;
}

std::string RangeSet::Encode() const {
  std::string out;
  for (const auto& [b, e] : runs_) {
    if (!out.empty()) out += ',';
    out += std::to_string(b) + '-' + std::to_string(e);
  }
  return out;
}

Result<RangeSet> RangeSet::Decode(std::string_view text) {
  RangeSet set;
  uint64_t last_end = 0;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view run = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (comma != std::string_view::npos && text.empty()) {
      return Status::Corruption("malformed byte ranges: a trailing comma");
    }
    const size_t dash = run.find('-');
    uint64_t b = 0, e = 0;
    if (dash == std::string_view::npos ||
        std::from_chars(run.data(), run.data() + dash, b).ec != std::errc() ||
        std::from_chars(run.data() + dash + 1, run.data() + run.size(), e).ec != std::errc() ||
        b >= e || (!set.runs_.empty() && b <= last_end)) {
      return Status::Corruption("malformed byte ranges: " + std::string(run));
    }
    set.runs_.emplace(b, e);
    last_end = e;
  }
  return set;
}

}  // namespace ferry::gateway
