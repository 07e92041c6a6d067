#include "fs/mount_session.h"

#include <algorithm>

namespace ferry::fs {

Result<std::unique_ptr<MountSession>> MountSession::Open(ObjectStore& store,
                                                         MountSessionOptions options) {
  std::unique_ptr<MountSession> s(new MountSession(std::move(options)));
  const MountSessionOptions& o = s->options_;
  FERRY_ASSIGN_OR_RETURN(s->cache_, cache::BlockCache::Open(o.cache));
  const uint64_t capacity = s->cache_->stats().capacity_bytes;
  // Blocks just fetched stay in memory for twice the read-ahead: a stream reads them there.
  s->reader_ = std::make_unique<BlockReader>(store, *s->cache_, o.block_size,
                                             std::max<uint64_t>(2 * o.read_ahead_bytes, 16 << 20));
  s->archived_ = std::make_unique<ArchivedReads>(store, o.archived);
  s->reader_->SetArchivedReads(s->archived_.get());
  s->attribute_cache_ = std::make_unique<AttributeCache>(*s->cache_);
  NamespaceOptions names;
  names.bucket = o.bucket;
  names.prefix = o.prefix;
  names.metadata_ttl_ns = o.metadata_ttl_ns;
  names.uid = o.uid;
  names.gid = o.gid;
  names.file_mode = o.file_mode;
  names.dir_mode = o.dir_mode;
  names.import = o.import;
  names.small_file_reader = s->reader_.get();
  names.attribute_cache = s->attribute_cache_.get();
  names.only_paths = o.only_paths;
  if (o.index) {
    FERRY_RETURN_IF_ERROR(index::CheckCovers(*o.index, o.bucket, o.prefix));
    s->indexed_ = std::make_unique<index::IndexedStore>(o.index, store);
    names.indexed = s->indexed_.get();
  }
  s->names_ = std::make_unique<Namespace>(store, names);
  s->read_ahead_pool_ = std::make_unique<ThreadPool>(16);
  OrderedPrefetchOptions prefetch;
  prefetch.prefix = o.prefix;
  // Files prefetched ahead of the reader take at most a quarter of the cache.
  prefetch.window_bytes = std::min<uint64_t>(uint64_t{1} << 30, capacity / 4);
  s->prefetch_ = std::make_unique<OrderedPrefetch>(*s->names_, *s->reader_, prefetch);
  ShownFilesOptions files;
  files.read_ahead_blocks = std::max<uint64_t>(1, o.read_ahead_bytes / o.block_size);
  files.read_ahead_run_blocks = std::max<uint64_t>(1, o.read_ahead_run_bytes / o.block_size);
  files.drop_behind_bytes = o.drop_behind_bytes;
  files.on_open = [p = s->prefetch_.get()](const ObjectVersion& v) { p->OnOpen(v.key); };
  s->files_ = std::make_unique<ShownFiles>(*s->names_, *s->reader_, *s->read_ahead_pool_, files);
  s->load_pool_ = std::make_unique<ThreadPool>(8);
  s->control_ = std::make_unique<CacheControl>(*s->names_, *s->reader_, *s->cache_, *s->load_pool_,
                                               *s->prefetch_);
  return s;
}

// Members go in reverse order of declaration: the control socket first, the cache last.
MountSession::~MountSession() = default;

Status MountSession::StartControl(const std::string& mount_root) {
  FERRY_ASSIGN_OR_RETURN(
      control_server_,
      ControlServer::Start(
          mount_root, [c = control_.get()](const nlohmann::json& json, const auto& progress) {
            auto request = DecodeRequest(json);
            if (!request.ok()) return EncodeFailure(request.status());
            auto answer =
                c->Handle(*request, [&](const LoadProgress& p) { progress(EncodeProgress(p)); });
            return answer.ok() ? EncodeAnswer(*answer) : EncodeFailure(answer.status());
          }));
  return Status::OK();
}

}  // namespace ferry::fs
