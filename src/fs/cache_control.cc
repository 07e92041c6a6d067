#include "fs/cache_control.h"

#include <sys/stat.h>

#include <atomic>
#include <mutex>

namespace ferry::fs {

CacheControl::CacheControl(Namespace& names, BlockReader& reader, cache::BlockCache& cache,
                           ThreadPool& pool, OrderedPrefetch& prefetch, const Clock* clock)
    : names_(names),
      reader_(reader),
      cache_(cache),
      pool_(pool),
      prefetch_(prefetch),
      clock_(clock ? clock : &SystemClock()) {}

Status CacheControl::ForEachFile(
    const std::string& path,
    const std::function<void(const std::string&, const ObjectVersion&)>& fn) {
  // The versions come from the listings: no HEAD per file.
  std::string base = path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto file = names_.Locate(base);
  if (file.ok()) {
    fn(base, *file);
    return Status::OK();
  }
  std::vector<uint64_t> taken;
  auto ino = names_.Walk(base, &taken);
  Status st = ino.status();
  if (st.ok()) st = ForEachFileIn(*ino, base, fn);
  for (uint64_t i : taken) names_.Forget(i, 1);
  return st;
}

Status CacheControl::ForEachFileIn(
    uint64_t dir_ino, const std::string& base,
    const std::function<void(const std::string&, const ObjectVersion&)>& fn) {
  FERRY_ASSIGN_OR_RETURN(auto children, names_.ReadDirectory(dir_ino));
  for (const auto& c : children) {
    std::string child_path = base.empty() ? c.name : base + "/" + c.name;
    if (!c.is_directory) {
      fn(child_path, c.object);
      continue;
    }
    FERRY_RETURN_IF_ERROR(ForEachFileIn(c.ino, child_path, fn));
  }
  return Status::OK();
}

nlohmann::json CacheControl::Handle(const nlohmann::json& request,
                                    const std::function<void(const nlohmann::json&)>& progress) {
  const std::string op = request.value("op", "");
  const std::string path = request.value("path", "");
  if (op == "stats") {
    auto c = cache_.stats();
    auto r = reader_.stats();
    auto p = prefetch_.stats();
    // Reads served from blocks just fetched and still in memory count as hits too.
    return {{"hits", c.hits + r.recent_hits},
            {"memory_hits", r.recent_hits},
            {"misses", r.misses},
            {"unread_bytes", r.unread_bytes},
            {"stored", c.stored},
            {"evicted", c.evicted},
            {"refused", c.refused},
            {"blocks", c.blocks},
            {"bytes_used", c.bytes_used},
            {"capacity_bytes", c.capacity_bytes},
            {"fetches", r.fetches},
            {"bytes_from_store", r.fetched_bytes},
            {"prefetch",
             {{"planned", p.planned},
              {"position", p.position},
              {"loaded_files", p.loaded_files},
              {"loaded_bytes", p.loaded_bytes},
              {"failures", p.failures}}}};
  }
  if (op == "prefetch") {
    if (!request.contains("paths") || !request["paths"].is_array()) {
      return {{"error", "prefetch: \"paths\" must be a list of paths"}};
    }
    std::vector<std::string> paths;
    paths.reserve(request["paths"].size());
    for (const auto& p : request["paths"]) {
      if (!p.is_string()) return {{"error", "prefetch: every path must be a string"}};
      std::string text = p.get<std::string>();
      while (text.starts_with("./")) text.erase(0, 2);
      paths.push_back(std::move(text));
    }
    const size_t planned = paths.size();
    prefetch_.SetOrder(std::move(paths));
    return {{"files", planned}};
  }
  if (op == "refresh") {
    auto changed = names_.Refresh(path, request.value("recursive", false));
    if (!changed.ok()) return {{"error", changed.status().ToString()}};
    return {{"changed", *changed}};
  }
  nlohmann::json files = nlohmann::json::array();
  uint64_t total = 0, done = 0;
  Status st;
  if (op == "status") {
    st = ForEachFile(path, [&](const std::string& p, const ObjectVersion& o) {
      uint64_t cached = cache_.CachedBytes(o.bucket + "/" + o.key, o.etag);
      files.push_back({{"path", p}, {"size", o.size}, {"cached_bytes", cached}});
    });
  } else if (op == "release") {
    const int64_t older_than_s = request.value("older_than_s", int64_t{0});
    const int64_t before =
        older_than_s > 0 ? clock_->NowNanos() - older_than_s * 1'000'000'000 : INT64_MAX;
    st = ForEachFile(path, [&](const std::string&, const ObjectVersion& o) {
      ++total;
      done += cache_.Release(o.bucket + "/" + o.key, before);
    });
    return st.ok() ? nlohmann::json{{"files", total}, {"released_bytes", done}}
                   : nlohmann::json{{"error", st.ToString()}};
  } else if (op == "load") {
    std::mutex mu;
    std::vector<std::string> errors;
    std::atomic<uint64_t> bytes{0};
    uint64_t total_bytes = 0;  // of the files found so far
    int64_t reported_at_ns = clock_->NowNanos();
    auto report = [&] {  // with mu held
      if (!progress || clock_->NowNanos() - reported_at_ns < 500'000'000) return;
      reported_at_ns = clock_->NowNanos();
      progress({{"files", total}, {"loaded_bytes", bytes.load()}, {"total_bytes", total_bytes}});
    };
    std::vector<ObjectVersion> loaded_files;
    st = ForEachFile(path, [&](const std::string& p, const ObjectVersion& o) {
      {
        std::lock_guard lock(mu);
        ++total;
        total_bytes += o.size;
        loaded_files.push_back(o);
      }
      const uint64_t blocks = (o.size + reader_.block_size() - 1) / reader_.block_size();
      for (uint64_t i = 0; i < blocks; ++i) {
        pool_.WaitForRoom(2 * pool_.size());
        pool_.Submit([&, p, o, i] {
          Status loaded = reader_.Load(o, i);
          std::lock_guard lock(mu);
          if (loaded.ok()) {
            bytes += std::min<uint64_t>(reader_.block_size(), o.size - i * reader_.block_size());
            report();
            return;
          }
          if (errors.size() < 20) errors.push_back(p + ": " + loaded.ToString());
        });
      }
    });
    pool_.WaitIdle();
    if (st.ok() && !errors.empty()) st = Status::IOError(errors.front());
    if (!st.ok()) return {{"error", st.ToString()}, {"errors", errors}};
    // What is in the cache now, not what was fetched: a full or unwritable cache refuses
    // blocks, and a load must not report them as loaded.
    uint64_t cached = 0;
    cache_.Flush();  // on disk now, for the other mounts sharing the cache
    for (const auto& o : loaded_files) cached += cache_.CachedBytes(o.bucket + "/" + o.key, o.etag);
    return {{"files", total},
            {"total_bytes", total_bytes},
            {"loaded_bytes", cached},
            {"refused", cache_.stats().refused}};
  } else {
    return {{"error", "unknown request \"" + op + "\""}};
  }
  if (!st.ok()) return {{"error", st.ToString()}};
  return {{"files", files}};
}

}  // namespace ferry::fs
