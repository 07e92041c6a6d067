#include "server/access_recorder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>

#include "core/thread_pool.h"
#include "s3/intelligent_tiering.h"
#include "s3/restore.h"

namespace ferry::server {
namespace {

constexpr size_t kParallelEdits = 16;

}  // namespace

AccessRecorder::AccessRecorder(ObjectStore& store, Options options)
    : store_(store), options_(options) {}

void AccessRecorder::Record(const std::string& bucket, const ObjectMeta& meta) {
  if (meta.headers.storage_class != s3::kIntelligentTiering) return;
  const int64_t now = options_.clock->NowNanos();
  const int64_t known = std::max(meta.headers.last_access_ns, meta.last_modified_ns);
  if (now - known < options_.day_ns) return;
  bool full = false;
  {
    std::lock_guard lock(mu_);
    // A version read again before the flush is written once, with its latest read.
    std::string id = bucket + '\0' + meta.key + '\0' + meta.version_id;
    pending_.insert_or_assign(std::move(id),
                              Access{bucket, meta.key, meta.version_id, meta.etag, now});
    full = pending_.size() >= options_.max_pending;
  }
  if (full) Flush();
}

size_t AccessRecorder::Flush() {
  std::lock_guard flushing(flush_mu_);
  std::unordered_map<std::string, Access> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return 0;
  std::atomic<size_t> written{0};
  {
    // In parallel: the store commits concurrent edits together.
    ThreadPool pool(std::min<size_t>(kParallelEdits, std::max<size_t>(batch.size(), 1)));
    for (const auto& [id, a] : batch) {
      pool.Submit([this, a = &a, &written] {
        if (Write(*a)) ++written;
      });
    }
    pool.WaitIdle();
  }
  return written.load();
}

bool AccessRecorder::Write(const Access& a) {
  auto edited = store_.EditObjectVersion(
      a.bucket, a.key, a.version_id,
      [&](ObjectHeaders& h) -> Status {
        // Already later (a read noted twice), or archived meanwhile: nothing to write.
        if (h.last_access_ns >= a.at_ns || !s3::ReadableNow(h, a.at_ns)) {
          return Status::PreconditionFailed("unchanged");
        }
        h.last_access_ns = a.at_ns;
        return Status::OK();
      },
      a.etag);
  const Status& s = edited.status();
  if (!s.ok() && !s.IsNotFound() && s.code() != Status::Code::kPreconditionFailed) {
    spdlog::debug("access of {}/{}: {}", a.bucket, a.key, s.ToString());
  }
  return edited.ok();
}

}  // namespace ferry::server
