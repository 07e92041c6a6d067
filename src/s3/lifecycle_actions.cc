#include "s3/lifecycle_actions.h"

namespace ferry::s3 {
namespace {

bool Due(std::optional<int> days, std::optional<int64_t> date_ns, int64_t since_ns, int64_t now_ns,
         int64_t day_ns) {
  if (days) return now_ns >= LifecycleDueAt(since_ns, *days, day_ns);
  if (date_ns) return now_ns >= *date_ns;
  return false;
}

bool Selects(const LifecycleFilter& filter, const LifecycleSubject& s) {
  static const Tags kNoTags;
  return FilterMatches(filter, s.key, s.size, s.tags ? *s.tags : kNoTags);
}

bool SizeMayTransition(const LifecycleFilter& filter, uint64_t size) {
  return filter.size_greater_than || filter.size_less_than || size >= kTransitionMinimumSize;
}

// Keeps the stronger of two actions: removal over transition, the colder transition.
void Prefer(LifecycleAction& best, LifecycleAction candidate) {
  auto rank = [](const LifecycleAction& a) {
    switch (a.kind) {
      case LifecycleActionKind::kNone:
        return 0;
      case LifecycleActionKind::kTransition:
        return 1 + StorageClassColdness(a.storage_class);
      case LifecycleActionKind::kExpire:
      case LifecycleActionKind::kDeleteVersion:
        return 100;
    }
    return 0;
  };
  if (rank(candidate) > rank(best)) best = std::move(candidate);
}

LifecycleAction ForCurrent(const LifecycleRule& rule, const LifecycleSubject& s, int64_t now,
                           int64_t day) {
  LifecycleAction best;
  if (s.delete_marker) {
    if (rule.expiration && rule.expiration->expired_object_delete_marker && s.only_version) {
      best = {LifecycleActionKind::kDeleteVersion, "", rule.id};
    }
    return best;
  }
  if (rule.expiration &&
      Due(rule.expiration->days, rule.expiration->date_ns, s.created_ns, now, day)) {
    return {LifecycleActionKind::kExpire, "", rule.id};
  }
  if (!SizeMayTransition(rule.filter, s.size)) return best;
  for (const auto& t : rule.transitions) {
    if (StorageClassColdness(t.storage_class) <= StorageClassColdness(s.storage_class)) continue;
    if (Due(t.days, t.date_ns, s.created_ns, now, day)) {
      Prefer(best, {LifecycleActionKind::kTransition, t.storage_class, rule.id});
    }
  }
  return best;
}

LifecycleAction ForNoncurrent(const LifecycleRule& rule, const LifecycleSubject& s, int64_t now,
                              int64_t day) {
  LifecycleAction best;
  auto keeps = [&](std::optional<int> newer) {
    return newer && s.newer_noncurrent_versions < *newer;
  };
  if (const auto& e = rule.noncurrent_expiration;
      e && !keeps(e->newer_noncurrent_versions) &&
      now >= LifecycleDueAt(s.noncurrent_since_ns, e->noncurrent_days, day)) {
    return {LifecycleActionKind::kDeleteVersion, "", rule.id};
  }
  if (s.delete_marker || !SizeMayTransition(rule.filter, s.size)) return best;
  for (const auto& t : rule.noncurrent_transitions) {
    if (StorageClassColdness(t.storage_class) <= StorageClassColdness(s.storage_class)) continue;
    if (keeps(t.newer_noncurrent_versions)) continue;
    if (now >= LifecycleDueAt(s.noncurrent_since_ns, t.noncurrent_days, day)) {
      Prefer(best, {LifecycleActionKind::kTransition, t.storage_class, rule.id});
    }
  }
  return best;
}

}  // namespace

int StorageClassColdness(std::string_view c) {
  if (c.empty() || c == "STANDARD" || c == "REDUCED_REDUNDANCY") return 0;
  if (c == "STANDARD_IA" || c == "INTELLIGENT_TIERING") return 1;
  if (c == "ONEZONE_IA") return 2;
  if (c == "GLACIER_IR") return 3;
  if (c == "GLACIER") return 4;
  if (c == "DEEP_ARCHIVE") return 5;
  return 0;
}

LifecycleAction DueAction(const LifecycleConfiguration& config, const LifecycleSubject& s,
                          int64_t now_ns, int64_t day_ns) {
  LifecycleAction best;
  for (const auto& rule : config.rules) {
    if (!rule.enabled || !Selects(rule.filter, s)) continue;
    Prefer(best, s.is_latest ? ForCurrent(rule, s, now_ns, day_ns)
                             : ForNoncurrent(rule, s, now_ns, day_ns));
  }
  return best;
}

bool FiltersOnTags(const LifecycleConfiguration& config) {
  for (const auto& rule : config.rules) {
    if (rule.enabled && !rule.filter.tags.empty()) return true;
  }
  return false;
}

std::string AbortUploadRule(const LifecycleConfiguration& config, std::string_view key,
                            int64_t initiated_ns, int64_t now_ns, int64_t day_ns) {
  for (const auto& rule : config.rules) {
    if (!rule.enabled || !rule.abort_incomplete_upload_days) continue;
    if (!key.starts_with(rule.filter.prefix)) continue;
    if (now_ns >= LifecycleDueAt(initiated_ns, *rule.abort_incomplete_upload_days, day_ns)) {
      return rule.id;
    }
  }
  return "";
}

}  // namespace ferry::s3
