#include "fs/mount_metrics.h"

#include <algorithm>

#include "core/prometheus_text.h"

namespace ferry::fs {

std::string RenderMountMetrics(const BlockReaderStats& reads, const cache::BlockCacheStats& cache) {
  const uint64_t hits = reads.cache_hits + reads.recent_hits;
  const uint64_t total = hits + reads.misses;
  const double hit_percent =
      total == 0 ? 100.0 : 100.0 * static_cast<double>(hits) / static_cast<double>(total);
  const double capacity = static_cast<double>(std::max<uint64_t>(cache.capacity_bytes, 1));
  std::string out;
  out += PrometheusSample("ferry_mount_cache_hit_percent", "gauge",
                          "Reads served from the cache, percent (CacheHitPercent)", hit_percent);
  out += PrometheusSample("ferry_mount_cache_percent_used", "gauge",
                          "Share of the block cache in use (CachePercentUsed)",
                          100.0 * static_cast<double>(cache.bytes_used) / capacity);
  out += PrometheusSample("ferry_mount_cache_bytes_used", "gauge", "Bytes the block cache holds",
                          static_cast<double>(cache.bytes_used));
  out += PrometheusSample("ferry_mount_cloud_bytes_downloaded_total", "counter",
                          "Bytes read from the bucket (CloudBytesDownloaded)",
                          static_cast<double>(reads.fetched_bytes));
  out += PrometheusSample("ferry_mount_block_fetches_total", "counter",
                          "Blocks fetched from the bucket", static_cast<double>(reads.fetches));
  out += PrometheusSamples("ferry_mount_reads_total", "counter", "Reads, by where they were served",
                           {{"from=\"cache\"", static_cast<double>(reads.cache_hits)},
                            {"from=\"memory\"", static_cast<double>(reads.recent_hits)},
                            {"from=\"bucket\"", static_cast<double>(reads.misses)}});
  out += PrometheusSample("ferry_mount_cache_evictions_total", "counter",
                          "Blocks evicted from the cache to make room",
                          static_cast<double>(cache.evicted));
  return out;
}

}  // namespace ferry::fs
