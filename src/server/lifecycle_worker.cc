#include "server/lifecycle_worker.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "core/thread_pool.h"
#include "s3/lifecycle_actions.h"
#include "s3/restore.h"
#include "server/bucket_documents.h"

namespace ferry::server {
namespace {

using s3::LifecycleActionKind;

struct AtomicStats {
  std::atomic<uint64_t> versions{0}, transitioned{0}, expired{0}, removed{0}, aborted{0}, tiered{0},
      returned{0}, failed{0};
  LifecyclePassStats Snapshot() const {
    return {.versions = versions.load(),
            .transitioned = transitioned.load(),
            .expired = expired.load(),
            .removed = removed.load(),
            .aborted = aborted.load(),
            .tiered = tiered.load(),
            .returned = returned.load(),
            .failed = failed.load()};
  }
};

using TieringConfigurations = std::vector<s3::IntelligentTieringConfiguration>;

// One bucket's pass: examines every version, key by key (newest first, as listed), and hands
// due actions to the pool.
class BucketPass {
 public:
  BucketPass(ObjectStore& store, const LifecycleWorkerOptions& options, std::string bucket,
             s3::LifecycleConfiguration config, TieringConfigurations tiering, ThreadPool& pool,
             AtomicStats& stats)
      : store_(store),
        options_(options),
        bucket_(std::move(bucket)),
        config_(std::move(config)),
        tiering_(std::move(tiering)),
        tiering_min_days_(s3::MinArchiveDays(tiering_)),
        needs_tags_(s3::FiltersOnTags(config_)),
        pool_(pool),
        stats_(stats),
        now_(options.clock->NowNanos()) {}

  Status Run() {
    ListVersionsRequest req;
    req.bucket = bucket_;
    std::vector<ObjectVersion> key_versions;
    for (;;) {
      FERRY_ASSIGN_OR_RETURN(ListVersionsPage page, store_.ListObjectVersions(req));
      for (auto& v : page.versions) {
        if (!key_versions.empty() && key_versions.front().meta.key != v.meta.key) {
          ExamineKey(key_versions);
          key_versions.clear();
        }
        key_versions.push_back(std::move(v));
      }
      if (!page.truncated) break;
      req.key_marker = page.next_key_marker;
      req.version_id_marker = page.next_version_id_marker;
    }
    if (!key_versions.empty()) ExamineKey(key_versions);
    return AbortStaleUploads();
  }

 private:
  void ExamineKey(const std::vector<ObjectVersion>& versions) {
    for (size_t i = 0; i < versions.size(); ++i) {
      const ObjectMeta& m = versions[i].meta;
      stats_.versions++;
      s3::LifecycleSubject s;
      s.key = m.key;
      s.size = m.size;
      s.storage_class = m.headers.storage_class;
      s.created_ns = m.last_modified_ns;
      s.is_latest = versions[i].is_latest;
      s.delete_marker = m.delete_marker;
      s.only_version = versions.size() == 1;
      if (i > 0) {
        s.noncurrent_since_ns = versions[i - 1].meta.last_modified_ns;
        s.newer_noncurrent_versions = static_cast<int>(i) - 1;
      }
      std::optional<ObjectMeta> head;  // the version's stored headers, when needed
      if (needs_tags_ && !m.delete_marker) {
        auto found = store_.HeadObjectVersion(bucket_, m.key, m.version_id);
        if (!found.ok()) continue;
        head = std::move(found).value();
        s.tags = &head->headers.tags;
      }
      s3::LifecycleAction action = s3::DueAction(config_, s, now_, options_.day_ns);
      if (action.kind == LifecycleActionKind::kNone) {
        ExamineTiering(m, head);
        continue;
      }
      pool_.WaitForRoom(options_.parallel_actions * 4);
      pool_.Submit([this, m, action = std::move(action)] { Apply(m, action); });
    }
  }

  // An INTELLIGENT_TIERING version idle long enough goes to the archive access tier due; a
  // restored one comes back. The listing does not carry when a version was last read, so
  // versions old enough to be due are looked at (HEAD, unless the rules' tags made one) and
  // the others passed by.
  void ExamineTiering(const ObjectMeta& listed, std::optional<ObjectMeta>& head) {
    if (tiering_min_days_ == 0 || listed.delete_marker ||
        listed.headers.storage_class != s3::kIntelligentTiering ||
        now_ < s3::LifecycleDueAt(listed.last_modified_ns, tiering_min_days_, options_.day_ns)) {
      return;
    }
    if (!head) {
      auto found = store_.HeadObjectVersion(bucket_, listed.key, listed.version_id);
      if (!found.ok()) return;
      head = std::move(found).value();
    }
    auto tier = TierChange(head->key, head->last_modified_ns, head->headers);
    if (!tier) return;
    pool_.WaitForRoom(options_.parallel_actions * 4);
    pool_.Submit([this, m = std::move(*head), tier = *tier] { MoveTier(m, tier); });
  }

  // The archive access tier a version belongs in now, when that is a change: "" when its
  // restore is done (back to the frequent access tier), a deeper tier when it idled long
  // enough; nullopt to leave it (a restore under way finishes first; a version leaves an
  // archive access tier by a restore alone).
  std::optional<std::string> TierChange(const std::string& key, int64_t last_modified_ns,
                                        const ObjectHeaders& h) const {
    const s3::RestorePhase phase = s3::RestorePhaseAt(h, now_);
    if (!h.archive_access_tier.empty() && phase == s3::RestorePhase::kRestored) {
      return std::string();
    }
    if (phase == s3::RestorePhase::kOngoing || h.archive_access_tier == s3::kDeepArchiveAccess) {
      return std::nullopt;
    }
    const int64_t idle_since = std::max(last_modified_ns, h.last_access_ns);
    const std::string_view due =
        s3::DueArchiveAccessTier(tiering_, key, h.tags, idle_since, now_, options_.day_ns);
    if (due.empty() || due == h.archive_access_tier) return std::nullopt;
    return std::string(due);
  }

  void MoveTier(const ObjectMeta& m, const std::string& tier) {
    auto edited = store_.EditObjectVersion(
        bucket_, m.key, m.version_id,
        [&](ObjectHeaders& h) -> Status {
          // Decided again on the version as it is now: a read or a restore since the HEAD
          // wins over the pass.
          if (TierChange(m.key, m.last_modified_ns, h) != tier) {
            return Status::PreconditionFailed("changed since it was examined");
          }
          if (tier.empty()) h.last_access_ns = std::max(h.last_access_ns, h.restore_ready_ns);
          h.archive_access_tier = tier;
          h.restore_ready_ns = h.restore_expiry_ns = 0;
          h.restore_tier.clear();
          return Status::OK();
        },
        m.etag);
    if (!edited.ok()) {
      stats_.failed++;
      spdlog::debug("intelligent tiering {}/{}: {}", bucket_, m.key, edited.status().ToString());
      return;
    }
    (tier.empty() ? stats_.returned : stats_.tiered)++;
    if (options_.events && !tier.empty()) {
      options_.events->Record({.name = "IntelligentTiering",
                               .bucket = bucket_,
                               .key = m.key,
                               .version_id = m.version_id,
                               .storage_class = tier,
                               .time_ns = options_.clock->NowNanos()});
    }
  }

  void Apply(const ObjectMeta& m, const s3::LifecycleAction& action) {
    ArchiveEvent event{.bucket = bucket_,
                       .key = m.key,
                       .version_id = m.version_id,
                       .rule_id = action.rule_id,
                       .time_ns = options_.clock->NowNanos()};
    Status s;
    switch (action.kind) {
      case LifecycleActionKind::kTransition: {
        auto edited = store_.EditObjectVersion(
            bucket_, m.key, m.version_id,
            [&](ObjectHeaders& h) -> Status {
              if (s3::StorageClassColdness(h.storage_class) >=
                  s3::StorageClassColdness(action.storage_class)) {
                return Status::PreconditionFailed("already as cold");
              }
              h.storage_class = action.storage_class;
              h.restore_ready_ns = h.restore_expiry_ns = 0;
              h.restore_tier.clear();
              return Status::OK();
            },
            m.etag);
        s = edited.status();
        if (s.ok()) {
          stats_.transitioned++;
          event.name = "LifecycleTransition";
          event.storage_class = action.storage_class;
        }
        break;
      }
      case LifecycleActionKind::kExpire: {
        DeleteOptions options;
        options.if_match_etag = m.etag;
        auto deleted = store_.DeleteObjectVersion(bucket_, m.key, "", options);
        s = deleted.status();
        if (s.ok()) {
          stats_.expired++;
          event.name = deleted->delete_marker ? "LifecycleExpiration:DeleteMarkerCreated"
                                              : "LifecycleExpiration:Delete";
          if (deleted->delete_marker) event.version_id = deleted->version_id;
        }
        break;
      }
      case LifecycleActionKind::kDeleteVersion: {
        auto deleted = store_.DeleteObjectVersion(bucket_, m.key, m.version_id);
        s = deleted.status();
        if (s.ok()) {
          stats_.removed++;
          event.name = "LifecycleExpiration:Delete";
        }
        break;
      }
      case LifecycleActionKind::kNone:
        return;
    }
    if (!s.ok()) {
      stats_.failed++;
      spdlog::debug("lifecycle {}/{}: {}", bucket_, m.key, s.ToString());
      return;
    }
    if (options_.events) options_.events->Record(event);
  }

  Status AbortStaleUploads() {
    bool any = std::any_of(config_.rules.begin(), config_.rules.end(), [](const auto& r) {
      return r.enabled && r.abort_incomplete_upload_days;
    });
    if (!any) return Status::OK();
    ListUploadsRequest req;
    req.bucket = bucket_;
    for (;;) {
      FERRY_ASSIGN_OR_RETURN(ListUploadsResult page, store_.ListMultipartUploads(req));
      for (const auto& u : page.uploads) {
        std::string rule =
            s3::AbortUploadRule(config_, u.key, u.initiated_ns, now_, options_.day_ns);
        if (rule.empty()) continue;
        if (Status s = store_.AbortMultipartUpload(bucket_, u.key, u.upload_id); !s.ok()) {
          stats_.failed++;
          continue;
        }
        stats_.aborted++;
        if (options_.events) {
          options_.events->Record({.name = "LifecycleExpiration:AbortIncompleteMultipartUpload",
                                   .bucket = bucket_,
                                   .key = u.key,
                                   .rule_id = rule,
                                   .time_ns = options_.clock->NowNanos()});
        }
      }
      if (!page.truncated) break;
      req.key_marker = page.next_key_marker;
      req.upload_id_marker = page.next_upload_id_marker;
    }
    return Status::OK();
  }

  ObjectStore& store_;
  const LifecycleWorkerOptions& options_;
  const std::string bucket_;
  const s3::LifecycleConfiguration config_;
  const TieringConfigurations tiering_;
  const int tiering_min_days_;  // 0: no enabled configuration
  const bool needs_tags_;
  ThreadPool& pool_;
  AtomicStats& stats_;
  const int64_t now_;
};

int64_t PassInterval(const LifecycleWorkerOptions& o) {
  if (o.interval_ns > 0) return o.interval_ns;
  return std::clamp<int64_t>(o.day_ns / 24, 100'000'000, int64_t{3600} * 1'000'000'000);
}

}  // namespace

LifecycleWorker::LifecycleWorker(ObjectStore& store, LifecycleWorkerOptions options)
    : store_(store), options_(std::move(options)) {}

void LifecycleWorker::Start() {
  thread_.Start(std::chrono::nanoseconds(PassInterval(options_)), [this] { Pass(); });
}

void LifecycleWorker::Pass() {
  auto stats = RunPass();
  if (!stats.ok()) {
    spdlog::warn("lifecycle pass: {}", stats.status().ToString());
  } else if (stats->transitioned + stats->expired + stats->removed + stats->aborted +
                 stats->tiered + stats->returned >
             0) {
    spdlog::info(
        "lifecycle pass: {} versions examined, {} transitioned, {} expired, "
        "{} removed, {} uploads aborted, {} to archive access tiers, {} back from them, "
        "{} refused",
        stats->versions, stats->transitioned, stats->expired, stats->removed, stats->aborted,
        stats->tiered, stats->returned, stats->failed);
  }
}

Result<LifecyclePassStats> LifecycleWorker::RunPass() {
  // Reads noted since the last pass count before anything is found idle.
  if (options_.accesses) options_.accesses->Flush();
  FERRY_ASSIGN_OR_RETURN(std::vector<BucketInfo> buckets, store_.ListBuckets());
  AtomicStats stats;
  Status first_error;
  {
    std::optional<ThreadPool> pool;  // made for the first bucket with rules
    for (const auto& b : buckets) {
      auto rules = BucketRules(b.name);
      if (!rules) continue;
      if (!pool) pool.emplace(options_.parallel_actions);
      BucketPass pass(store_, options_, b.name, std::move(rules->first), std::move(rules->second),
                      *pool, stats);
      Status s = pass.Run();
      pool->WaitIdle();  // the pass's tasks refer to it
      if (!s.ok() && first_error.ok() && s.s3_code() != "NoSuchBucket") first_error = s;
    }
  }
  if (!first_error.ok()) return first_error;
  return stats.Snapshot();
}

std::optional<std::pair<s3::LifecycleConfiguration, TieringConfigurations>>
LifecycleWorker::BucketRules(const std::string& bucket) {
  s3::LifecycleConfiguration lifecycle;
  TieringConfigurations tiering;
  // A bucket deleted meanwhile, or without a document, has nothing to apply.
  if (auto doc = store_.GetBucketConfig(bucket, kLifecycleConfig); doc.ok() && *doc) {
    auto config = s3::ParseLifecycleConfiguration(**doc);
    if (config.ok()) {
      lifecycle = std::move(config).value();
    } else {
      spdlog::warn("lifecycle of bucket {}: {}", bucket, config.status().ToString());
    }
  }
  if (auto doc = store_.GetBucketConfig(bucket, kIntelligentTieringConfig); doc.ok() && *doc) {
    auto list = s3::ParseIntelligentTieringList(**doc);
    if (list.ok()) {
      tiering = std::move(list).value();
    } else {
      spdlog::warn("intelligent tiering of bucket {}: {}", bucket, list.status().ToString());
    }
  }
  if (lifecycle.rules.empty() && s3::MinArchiveDays(tiering) == 0) return std::nullopt;
  return std::make_pair(std::move(lifecycle), std::move(tiering));
}

}  // namespace ferry::server
