// The gateway's measures in Prometheus' text format, named after S3 File Gateway's CloudWatch
// metrics (CachePercentDirty, CachePercentUsed, CacheHitPercent, CloudBytesUploaded,
// CloudBytesDownloaded, FilesFailingUpload, upload latency), for `--metrics HOST:PORT`.
#pragma once

#include <string>

#include "cache/block_cache.h"
#include "fs/block_reader.h"
#include "gateway/gateway.h"

namespace ferry::gateway {

struct GatewayMeasures {
  GatewayStatus gateway;
  cache::BlockCacheStats cache;
  fs::BlockReaderStats reads;
  uint64_t cache_size = 0;  // --cache-size: what the percentages are of
};

std::string RenderGatewayMetrics(const GatewayMeasures& m);

}  // namespace ferry::gateway
