// One host's part of an index: the entries under a prefix split into `world` runs of
// consecutive keys by the block table's counts, so a host reads only the blocks of its own
// run (and at most one block more on each side), in one ranged read, never the whole index.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "index/index_reader.h"

namespace ferry::index {

struct ShardReadStats {
  uint64_t blocks_read = 0;
  uint64_t requests = 0;  // reads of the index's source: one for the whole run
};

// Calls take for every entry under prefix that falls to rank of world, in key order. Every
// entry under prefix falls to exactly one rank.
Status ReadShard(IndexReader& index, const std::string& prefix, uint64_t rank, uint64_t world,
                 const std::function<void(const IndexEntry&)>& take,
                 ShardReadStats* stats = nullptr);

}  // namespace ferry::index
