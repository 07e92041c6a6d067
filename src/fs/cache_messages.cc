#include "fs/cache_messages.h"

#include <array>
#include <utility>

#include "fs/control_server.h"

namespace ferry::fs {

// Missing fields take their defaults, so either end may be a release older by a field.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoadProgress, files, loaded_bytes, total_bytes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PrefetchStats, planned, position, loaded_files,
                                                loaded_bytes, failures)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StatsAnswer, hits, memory_hits, misses,
                                                unread_bytes, stored, evicted, refused, blocks,
                                                bytes_used, capacity_bytes, fetches,
                                                bytes_from_store, prefetch)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FileCacheStatus, path, size, cached_bytes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StatusAnswer, files)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoadAnswer, files, total_bytes, loaded_bytes,
                                                refused)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReleaseAnswer, files, released_bytes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RefreshAnswer, changed)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PrefetchAnswer, files)

namespace {

constexpr std::array<std::pair<CacheOp, std::string_view>, 6> kOpNames = {{
    {CacheOp::kLoad, "load"},
    {CacheOp::kRelease, "release"},
    {CacheOp::kStatus, "status"},
    {CacheOp::kStats, "stats"},
    {CacheOp::kRefresh, "refresh"},
    {CacheOp::kPrefetch, "prefetch"},
}};

// The answer type each operation gets back.
CacheAnswer EmptyAnswerFor(CacheOp op) {
  switch (op) {
    case CacheOp::kLoad:
      return LoadAnswer{};
    case CacheOp::kRelease:
      return ReleaseAnswer{};
    case CacheOp::kStatus:
      return StatusAnswer{};
    case CacheOp::kStats:
      return StatsAnswer{};
    case CacheOp::kRefresh:
      return RefreshAnswer{};
    case CacheOp::kPrefetch:
      return PrefetchAnswer{};
  }
  return StatsAnswer{};
}

}  // namespace

std::string_view CacheOpName(CacheOp op) {
  for (const auto& [known, name] : kOpNames) {
    if (known == op) return name;
  }
  return "?";
}

std::optional<CacheOp> ParseCacheOp(std::string_view name) {
  for (const auto& [op, known] : kOpNames) {
    if (known == name) return op;
  }
  return std::nullopt;
}

nlohmann::json EncodeRequest(const CacheRequest& request) {
  nlohmann::json json = {{"op", CacheOpName(request.op)}, {"path", request.path}};
  if (request.older_than_s > 0) json["older_than_s"] = request.older_than_s;
  if (request.recursive) json["recursive"] = true;
  if (request.op == CacheOp::kPrefetch) json["paths"] = request.paths;
  return json;
}

Result<CacheRequest> DecodeRequest(const nlohmann::json& json) {
  if (!json.is_object()) return Status::InvalidArgument("bad request: not a JSON object");
  const std::string name = json.value("op", "");
  auto op = ParseCacheOp(name);
  if (!op) return Status::InvalidArgument("unknown request \"" + name + "\"");
  CacheRequest request;
  request.op = *op;
  try {
    request.path = json.value("path", "");
    request.older_than_s = json.value("older_than_s", int64_t{0});
    request.recursive = json.value("recursive", false);
    if (request.op == CacheOp::kPrefetch) {
      if (!json.contains("paths") || !json["paths"].is_array()) {
        return Status::InvalidArgument("prefetch: \"paths\" must be a list of paths");
      }
      for (const auto& p : json["paths"]) {
        if (!p.is_string()) return Status::InvalidArgument("prefetch: every path must be a string");
        request.paths.push_back(p.get<std::string>());
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("bad request: ") + e.what());
  }
  return request;
}

nlohmann::json EncodeProgress(const LoadProgress& progress) {
  return progress;
}

Result<LoadProgress> DecodeProgress(const nlohmann::json& json) {
  try {
    return json.get<LoadProgress>();
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("bad progress report: ") + e.what());
  }
}

nlohmann::json EncodeAnswer(const CacheAnswer& answer) {
  return std::visit([](const auto& a) { return nlohmann::json(a); }, answer);
}

nlohmann::json EncodeFailure(const Status& failure) {
  return {{"error", failure.ToString()}};
}

Result<CacheAnswer> DecodeAnswer(CacheOp op, const nlohmann::json& json) {
  if (!json.is_object()) return Status::InvalidArgument("bad answer: not a JSON object");
  if (json.contains("error")) {
    const auto& error = json["error"];
    return Status::IOError(error.is_string() ? error.get<std::string>() : error.dump());
  }
  CacheAnswer answer = EmptyAnswerFor(op);
  try {
    std::visit([&](auto& a) { json.get_to(a); }, answer);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("bad answer: ") + e.what());
  }
  return answer;
}

Result<CacheAnswer> AskCache(const std::string& mount_root, const CacheRequest& request,
                             const std::function<void(const LoadProgress&)>& on_progress) {
  FERRY_ASSIGN_OR_RETURN(nlohmann::json json,
                         AskMount(mount_root, EncodeRequest(request), [&](const nlohmann::json& p) {
                           auto progress = DecodeProgress(p);
                           if (progress.ok() && on_progress) on_progress(*progress);
                         }));
  return DecodeAnswer(request.op, json);
}

}  // namespace ferry::fs
