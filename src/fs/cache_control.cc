#include "fs/cache_control.h"

#include <sys/stat.h>

#include <atomic>
#include <mutex>

namespace ferry::fs {
namespace {

template <typename A>
Result<CacheAnswer> AsCacheAnswer(Result<A> answer) {
  if (!answer.ok()) return answer.status();
  return CacheAnswer(std::move(answer).value());
}

}  // namespace

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

Result<CacheAnswer> CacheControl::Handle(const CacheRequest& request, const Progress& progress) {
  switch (request.op) {
    case CacheOp::kStats:
      return CacheAnswer(Stats());
    case CacheOp::kStatus:
      return AsCacheAnswer(StatusOf(request.path));
    case CacheOp::kLoad:
      return AsCacheAnswer(Load(request.path, progress));
    case CacheOp::kRelease:
      return AsCacheAnswer(Release(request.path, request.older_than_s));
    case CacheOp::kRefresh:
      return AsCacheAnswer(Refresh(request.path, request.recursive));
    case CacheOp::kPrefetch:
      return CacheAnswer(Prefetch(request.paths));
  }
  return Status::InvalidArgument("unknown request");
}

StatsAnswer CacheControl::Stats() {
  auto c = cache_.stats();
  auto r = reader_.stats();
  auto p = prefetch_.stats();
  StatsAnswer a;
  // Reads served from blocks just fetched and still in memory count as hits too.
  a.hits = c.hits + r.recent_hits;
  a.memory_hits = r.recent_hits;
  a.misses = r.misses;
  a.unread_bytes = r.unread_bytes;
  a.stored = c.stored;
  a.evicted = c.evicted;
  a.refused = c.refused;
  a.blocks = c.blocks;
  a.bytes_used = c.bytes_used;
  a.capacity_bytes = c.capacity_bytes;
  a.fetches = r.fetches;
  a.bytes_from_store = r.fetched_bytes;
  a.prefetch = {.planned = p.planned,
                .position = p.position,
                .loaded_files = p.loaded_files,
                .loaded_bytes = p.loaded_bytes,
                .failures = p.failures};
  return a;
}

PrefetchAnswer CacheControl::Prefetch(std::vector<std::string> paths) {
  for (auto& text : paths) {
    while (text.starts_with("./")) text.erase(0, 2);
  }
  const size_t planned = paths.size();
  prefetch_.SetOrder(std::move(paths));
  return {.files = planned};
}

Result<RefreshAnswer> CacheControl::Refresh(const std::string& path, bool recursive) {
  FERRY_ASSIGN_OR_RETURN(uint64_t changed, names_.Refresh(path, recursive));
  return RefreshAnswer{.changed = changed};
}

Result<StatusAnswer> CacheControl::StatusOf(const std::string& path) {
  StatusAnswer a;
  FERRY_RETURN_IF_ERROR(ForEachFile(path, [&](const std::string& p, const ObjectVersion& o) {
    a.files.push_back({.path = p,
                       .size = o.size,
                       .cached_bytes = cache_.CachedBytes(o.bucket + "/" + o.key, o.etag)});
  }));
  return a;
}

Result<ReleaseAnswer> CacheControl::Release(const std::string& path, int64_t older_than_s) {
  const int64_t before =
      older_than_s > 0 ? clock_->NowNanos() - older_than_s * 1'000'000'000 : INT64_MAX;
  ReleaseAnswer a;
  FERRY_RETURN_IF_ERROR(ForEachFile(path, [&](const std::string&, const ObjectVersion& o) {
    ++a.files;
    a.released_bytes += cache_.Release(o.bucket + "/" + o.key, before);
  }));
  return a;
}

Result<LoadAnswer> CacheControl::Load(const std::string& path, const Progress& progress) {
  std::mutex mu;
  std::string first_error;  // guarded by mu
  std::atomic<uint64_t> bytes{0};
  LoadAnswer a;
  int64_t reported_at_ns = clock_->NowNanos();
  auto report = [&] {  // with mu held
    if (!progress || clock_->NowNanos() - reported_at_ns < 500'000'000) return;
    reported_at_ns = clock_->NowNanos();
    progress({.files = a.files, .loaded_bytes = bytes.load(), .total_bytes = a.total_bytes});
  };
  std::vector<ObjectVersion> loaded_files;
  Status st = ForEachFile(path, [&](const std::string& p, const ObjectVersion& o) {
    {
      std::lock_guard lock(mu);
      ++a.files;
      a.total_bytes += o.size;
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
        if (first_error.empty()) first_error = p + ": " + loaded.ToString();
      });
    }
  });
  pool_.WaitIdle();
  FERRY_RETURN_IF_ERROR(st);
  if (!first_error.empty()) return Status::IOError(first_error);
  // What is in the cache now, not what was fetched: a full or unwritable cache refuses
  // blocks, and a load must not report them as loaded.
  cache_.Flush();  // on disk now, for the other mounts sharing the cache
  for (const auto& o : loaded_files) {
    a.loaded_bytes += cache_.CachedBytes(o.bucket + "/" + o.key, o.etag);
  }
  a.refused = cache_.stats().refused;
  return a;
}

}  // namespace ferry::fs
