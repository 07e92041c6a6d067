#include "fs/cache_control.h"

#include <sys/stat.h>

#include <atomic>
#include <mutex>

namespace ferry::fs {
namespace {

std::vector<std::string> Components(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash - start);
    if (!part.empty() && part != ".") out.push_back(part);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

}  // namespace

CacheControl::CacheControl(Namespace& names, BlockReader& reader, cache::BlockCache& cache,
                           ThreadPool& pool, const Clock* clock)
    : names_(names),
      reader_(reader),
      cache_(cache),
      pool_(pool),
      clock_(clock ? clock : &SystemClock()) {}

Status CacheControl::ForEachFile(
    const std::string& path,
    const std::function<void(const std::string&, const NodeAttributes&)>& fn) {
  uint64_t ino = Namespace::kRootIno;
  // Lookups count references; ours are given back once the walk is over.
  std::vector<uint64_t> looked_up;
  struct GiveBack {
    Namespace& names;
    std::vector<uint64_t>& inos;
    ~GiveBack() {
      for (uint64_t i : inos) names.Forget(i, 1);
    }
  } give_back{names_, looked_up};
  for (const auto& part : Components(path)) {
    auto a = names_.Lookup(ino, part);
    if (!a.ok()) return a.status();
    looked_up.push_back(a->ino);
    ino = a->ino;
  }
  auto a = names_.GetAttributes(ino);
  if (!a.ok()) return a.status();
  std::string base = path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (!S_ISDIR(a->mode)) {
    if (S_ISREG(a->mode)) fn(base, *a);
    return Status::OK();
  }
  auto children = names_.ReadDirectory(ino);
  if (!children.ok()) return children.status();
  for (const auto& c : *children) {
    FERRY_RETURN_IF_ERROR(ForEachFile(base.empty() ? c.name : base + "/" + c.name, fn));
  }
  return Status::OK();
}

nlohmann::json CacheControl::Handle(const nlohmann::json& request) {
  const std::string op = request.value("op", "");
  const std::string path = request.value("path", "");
  if (op == "stats") {
    auto c = cache_.stats();
    auto r = reader_.stats();
    return {{"hits", c.hits},
            {"misses", c.misses},
            {"stored", c.stored},
            {"evicted", c.evicted},
            {"refused", c.refused},
            {"blocks", c.blocks},
            {"bytes_used", c.bytes_used},
            {"capacity_bytes", c.capacity_bytes},
            {"fetches", r.fetches},
            {"bytes_from_store", r.fetched_bytes}};
  }
  nlohmann::json files = nlohmann::json::array();
  uint64_t total = 0, done = 0;
  Status st;
  if (op == "status") {
    st = ForEachFile(path, [&](const std::string& p, const NodeAttributes& a) {
      uint64_t cached = cache_.CachedBytes(a.object.bucket + "/" + a.object.key, a.object.etag);
      files.push_back({{"path", p}, {"size", a.size}, {"cached_bytes", cached}});
    });
  } else if (op == "release") {
    const int64_t older_than_s = request.value("older_than_s", int64_t{0});
    const int64_t before =
        older_than_s > 0 ? clock_->NowNanos() - older_than_s * 1'000'000'000 : INT64_MAX;
    st = ForEachFile(path, [&](const std::string&, const NodeAttributes& a) {
      ++total;
      done += cache_.Release(a.object.bucket + "/" + a.object.key, before);
    });
    return st.ok() ? nlohmann::json{{"files", total}, {"released_bytes", done}}
                   : nlohmann::json{{"error", st.ToString()}};
  } else if (op == "load") {
    std::mutex mu;
    std::vector<std::string> errors;
    std::atomic<uint64_t> bytes{0};
    st = ForEachFile(path, [&](const std::string& p, const NodeAttributes& a) {
      ++total;
      const uint64_t blocks = (a.size + reader_.block_size() - 1) / reader_.block_size();
      for (uint64_t i = 0; i < blocks; ++i) {
        pool_.WaitForRoom(2 * pool_.size());
        pool_.Submit([&, p, a, i] {
          Status loaded = reader_.Load(a.object, i);
          if (loaded.ok()) {
            bytes += std::min<uint64_t>(reader_.block_size(), a.size - i * reader_.block_size());
            return;
          }
          std::lock_guard lock(mu);
          if (errors.size() < 20) errors.push_back(p + ": " + loaded.ToString());
        });
      }
    });
    pool_.WaitIdle();
    if (st.ok() && !errors.empty()) st = Status::IOError(errors.front());
    return st.ok() ? nlohmann::json{{"files", total}, {"loaded_bytes", bytes.load()}}
                   : nlohmann::json{{"error", st.ToString()}, {"errors", errors}};
  } else {
    return {{"error", "unknown request \"" + op + "\""}};
  }
  if (!st.ok()) return {{"error", st.ToString()}};
  return {{"files", files}};
}

}  // namespace ferry::fs
