#include "gateway/gateway_metrics.h"

#include <algorithm>

#include "core/prometheus_text.h"

namespace ferry::gateway {

std::string RenderGatewayMetrics(const GatewayMeasures& m) {
  const double size = static_cast<double>(std::max<uint64_t>(m.cache_size, 1));
  const double dirty = static_cast<double>(m.gateway.dirty_bytes);
  const double used = static_cast<double>(m.cache.bytes_used) + dirty;
  const uint64_t hits = m.reads.cache_hits + m.reads.recent_hits;
  const uint64_t reads = hits + m.reads.misses;
  const double hit_percent =
      reads == 0 ? 100.0 : 100.0 * static_cast<double>(hits) / static_cast<double>(reads);
  std::string out;
  out += PrometheusSample("ferry_gateway_cache_percent_dirty", "gauge",
                          "Share of the cache holding data not yet uploaded (CachePercentDirty)",
                          100.0 * dirty / size);
  out += PrometheusSample("ferry_gateway_cache_percent_used", "gauge",
                          "Share of the cache in use (CachePercentUsed)", 100.0 * used / size);
  out += PrometheusSample("ferry_gateway_cache_hit_percent", "gauge",
                          "Reads served from the cache, percent (CacheHitPercent)", hit_percent);
  out += PrometheusSample("ferry_gateway_cloud_bytes_uploaded_total", "counter",
                          "Bytes uploaded to the bucket (CloudBytesUploaded)",
                          static_cast<double>(m.gateway.uploaded_bytes));
  out += PrometheusSample("ferry_gateway_cloud_bytes_downloaded_total", "counter",
                          "Bytes read from the bucket (CloudBytesDownloaded)",
                          static_cast<double>(m.reads.fetched_bytes));
  out += PrometheusSample("ferry_gateway_files_failing_upload", "gauge",
                          "Files whose upload is failing (FilesFailingUpload)",
                          static_cast<double>(m.gateway.failing));
  out += PrometheusSample("ferry_gateway_dirty_files", "gauge", "Files not yet uploaded",
                          static_cast<double>(m.gateway.dirty_files));
  out += PrometheusSample("ferry_gateway_dirty_bytes", "gauge", "Bytes not yet uploaded", dirty);
  out += PrometheusSample("ferry_gateway_uploads_in_progress", "gauge", "Uploads under way",
                          static_cast<double>(m.gateway.uploading));
  out += PrometheusSample("ferry_gateway_uploaded_files_total", "counter", "Files uploaded",
                          static_cast<double>(m.gateway.uploaded_files));
  out += PrometheusSample("ferry_gateway_conflicts_total", "counter",
                          "Local versions kept aside because the bucket's object changed",
                          static_cast<double>(m.gateway.conflicts));
  out += PrometheusSample("ferry_gateway_pending_operations", "gauge",
                          "Renames and deletes the bucket still owes",
                          static_cast<double>(m.gateway.pending_operations));
  out += PrometheusSummary("ferry_gateway_upload_seconds", "Time from an upload's start to its end",
                           static_cast<double>(m.gateway.upload_ns_total) / 1e9,
                           m.gateway.uploads_timed);
  return out;
}

}  // namespace ferry::gateway
