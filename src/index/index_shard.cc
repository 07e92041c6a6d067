#include "index/index_shard.h"

#include <algorithm>

#include "store/grouped_listing.h"

namespace ferry::index {

Status ReadShard(IndexReader& index, const std::string& prefix, uint64_t rank, uint64_t world,
                 const std::function<void(const IndexEntry&)>& take, ShardReadStats* stats) {
  if (world == 0 || rank >= world) {
    return Status::InvalidArgument("rank " + std::to_string(rank) + " of " + std::to_string(world) +
                                   " hosts");
  }
  const auto& blocks = index.blocks();
  const std::optional<std::string> end = PrefixSuccessor(prefix);
  // The blocks that may hold keys under prefix: [first, last).
  size_t first = static_cast<size_t>(
      std::partition_point(blocks.begin(), blocks.end(),
                           [&](const BlockHandle& b) { return b.last_key < prefix; }) -
      blocks.begin());
  size_t last = !end ? blocks.size()
                     : static_cast<size_t>(std::partition_point(blocks.begin(), blocks.end(),
                                                                [&](const BlockHandle& b) {
                                                                  return b.first_key < *end;
                                                                }) -
                                           blocks.begin());
  last = std::max(first, last);
  // Entries of those blocks are numbered in order; this rank takes numbers [lo, hi).
  uint64_t total = 0;
  for (size_t i = first; i < last; ++i) total += blocks[i].entries;
  const uint64_t lo = total * rank / world;
  const uint64_t hi = total * (rank + 1) / world;
  // The blocks holding numbers [lo, hi), read in one request: they lie end to end.
  uint64_t number = 0;
  size_t from = first;
  for (; from < last && number + blocks[from].entries <= lo; ++from) number += blocks[from].entries;
  size_t to = from;
  for (uint64_t n = number; to < last && n < hi; ++to) n += blocks[to].entries;
  FERRY_ASSIGN_OR_RETURN(std::vector<Block> run, index.ReadBlocks(from, to));
  if (stats) {
    stats->blocks_read += run.size();
    stats->requests += run.empty() ? 0 : 1;
  }
  for (const Block& block : run) {
    for (const IndexEntry& e : *block) {
      if (number >= lo && number < hi && e.key.starts_with(prefix)) take(e);
      ++number;
    }
  }
  return Status::OK();
}

}  // namespace ferry::index
