// The read-only mount's measures in Prometheus' text format, for `ferry mount --metrics
// HOST:PORT`: named like the gateway's (CacheHitPercent, CachePercentUsed,
// CloudBytesDownloaded) with the fetches and evictions behind them.
#pragma once

#include <string>

#include "cache/block_cache.h"
#include "fs/block_reader.h"

namespace ferry::fs {

std::string RenderMountMetrics(const BlockReaderStats& reads, const cache::BlockCacheStats& cache);

}  // namespace ferry::fs
