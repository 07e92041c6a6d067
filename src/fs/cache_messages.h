// The messages of the `ferry cache` protocol, shared by the mount that answers them
// (CacheControl) and the command that asks (`ferry cache`): one typed request, one typed answer
// per operation, and their JSON form on the control socket. Both ends encode and decode here, so
// a field renamed on one side cannot be missed on the other.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ferry/result.h"

namespace ferry::fs {

enum class CacheOp { kLoad, kRelease, kStatus, kStats, kRefresh, kPrefetch };

std::string_view CacheOpName(CacheOp op);  // "load", "release", ...
std::optional<CacheOp> ParseCacheOp(std::string_view name);

struct CacheRequest {
  CacheOp op = CacheOp::kStats;
  std::string path;                // relative to the mount's root; "" is the root
  int64_t older_than_s = 0;        // release: only blocks unused this long
  bool recursive = false;          // refresh: also the directories below
  std::vector<std::string> paths;  // prefetch: the read order
};

// Sent by a load now and then before its answer.
struct LoadProgress {
  uint64_t files = 0;
  uint64_t loaded_bytes = 0;
  uint64_t total_bytes = 0;  // of the files found so far
};

struct PrefetchStats {
  uint64_t planned = 0;
  uint64_t position = 0;
  uint64_t loaded_files = 0;
  uint64_t loaded_bytes = 0;
  uint64_t failures = 0;
};

struct StatsAnswer {
  uint64_t hits = 0;         // from the cache or from blocks still in memory
  uint64_t memory_hits = 0;  // of which from memory
  uint64_t misses = 0;
  uint64_t unread_bytes = 0;
  uint64_t stored = 0;
  uint64_t evicted = 0;
  uint64_t refused = 0;
  uint64_t blocks = 0;
  uint64_t bytes_used = 0;
  uint64_t capacity_bytes = 0;
  uint64_t fetches = 0;
  uint64_t bytes_from_store = 0;
  PrefetchStats prefetch;
};

struct FileCacheStatus {
  std::string path;
  uint64_t size = 0;
  uint64_t cached_bytes = 0;
};

struct StatusAnswer {
  std::vector<FileCacheStatus> files;
};

struct LoadAnswer {
  uint64_t files = 0;
  uint64_t total_bytes = 0;
  uint64_t loaded_bytes = 0;  // in the cache now, which a full cache makes less than total
  uint64_t refused = 0;       // blocks the cache refused since it opened
};

struct ReleaseAnswer {
  uint64_t files = 0;
  uint64_t released_bytes = 0;
};

struct RefreshAnswer {
  uint64_t changed = 0;
};

struct PrefetchAnswer {
  uint64_t files = 0;
};

using CacheAnswer = std::variant<StatsAnswer, StatusAnswer, LoadAnswer, ReleaseAnswer,
                                 RefreshAnswer, PrefetchAnswer>;

// The JSON forms on the socket (also what `ferry cache --json` prints).
nlohmann::json EncodeRequest(const CacheRequest& request);
Result<CacheRequest> DecodeRequest(const nlohmann::json& json);
nlohmann::json EncodeProgress(const LoadProgress& progress);
Result<LoadProgress> DecodeProgress(const nlohmann::json& json);
nlohmann::json EncodeAnswer(const CacheAnswer& answer);
// A failure travels as {"error": message} and comes back as an IOError carrying the message.
nlohmann::json EncodeFailure(const Status& failure);
Result<CacheAnswer> DecodeAnswer(CacheOp op, const nlohmann::json& json);

// Sends request to the mount whose root is mount_root and returns its answer; a load's progress
// goes to on_progress.
Result<CacheAnswer> AskCache(const std::string& mount_root, const CacheRequest& request,
                             const std::function<void(const LoadProgress&)>& on_progress = nullptr);

}  // namespace ferry::fs
