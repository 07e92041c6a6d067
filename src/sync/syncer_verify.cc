// Verification after a sync: the transferred files, or the whole destination, against the
// source by content checksum.
#include "sync/content_checksum.h"
#include "sync/syncer_run.h"

namespace ferry::sync {

void Syncer::VerifyOne(const Entry& s) {
  auto src_sum =
      ContentChecksum(src_store_, src_.is_s3, src_.is_s3 ? src_.bucket : "",
                      src_.is_s3 ? src_.prefix + s.name : src_.LocalPath(s.name), s.kind);
  auto dst_sum =
      ContentChecksum(dst_store_, dst_.is_s3, dst_.is_s3 ? dst_.bucket : "",
                      dst_.is_s3 ? dst_.prefix + s.name : dst_.LocalPath(s.name), s.kind);
  Status st;
  if (!src_sum.ok()) {
    st = src_sum.status();
  } else if (!dst_sum.ok()) {
    st = dst_sum.status();
  } else if (*src_sum != *dst_sum) {
    st = Status::Corruption(Where(dst_, s.name) + ": CRC32C " + *dst_sum +
                            " differs from the source's " + *src_sum);
  }
  if (!st.ok()) {
    report_.Record(s.name, "verification failed", st.ToString());
    std::lock_guard lock(mu_);
    ++result_.verify_failed;
    if (result_.errors.size() < SyncResult::kMaxErrors) {
      result_.errors.push_back({Where(dst_, s.name), st});
    }
    return;
  }
  report_.Record(s.name, "verified", "CRC32C " + *src_sum);
  std::lock_guard lock(mu_);
  ++result_.verified;
}

void Syncer::Verify() {
  if (options_.verify == VerifyMode::kTransferred) {
    std::vector<Entry> entries;
    {
      std::lock_guard lock(mu_);
      entries.swap(to_verify_);
    }
    for (auto& e : entries) {
      workers_.WaitForRoom(2 * workers_.size());
      workers_.Submit([this, e = std::move(e)] { VerifyOne(e); });
    }
    workers_.WaitIdle();
    return;
  }
  // kAll: the whole destination against the source, as it is now.
  auto mismatch = [this](const std::string& name, const std::string& why) {
    Status st = Status::Corruption(Where(dst_, name) + ": " + why);
    report_.Record(name, "verification failed", st.ToString());
    std::lock_guard lock(mu_);
    ++result_.verify_failed;
    if (result_.errors.size() < SyncResult::kMaxErrors) result_.errors.push_back({name, st});
  };
  auto a = Stream(src_, true);
  auto b = Stream(dst_, false);
  Merge(*a, *b, [&](PathPair p) {
    if (p.src && p.src->kind == EntryKind::kSpecial) return;
    if (!p.src) {
      if (options_.delete_extra) mismatch(p.name(), "not in the source");
      return;
    }
    if (!p.dst) return mismatch(p.name(), "missing");
    workers_.WaitForRoom(2 * workers_.size());
    workers_.Submit([this, p = std::move(p), mismatch]() mutable {
      if (p.src->kind != p.dst->kind) {
        // A listing shows links as files: only metadata tells them apart.
        FromState(src_, *p.src);
        FromState(dst_, *p.dst);
        for (auto [side, e] : {std::pair{&src_, &*p.src}, std::pair{&dst_, &*p.dst}}) {
          if (!e->has_attrs) {
            Status st = FillDetails(*side, *e, true, false, nullptr);
            if (!st.ok()) return Fail(p.name(), Where(*side, p.name()), st);
          }
        }
        if (p.src->kind != p.dst->kind) {
          return mismatch(p.name(), std::string("a ") + KindName(p.dst->kind) + ", not a " +
                                        KindName(p.src->kind));
        }
      }
      if (p.src->kind != EntryKind::kDirectory) VerifyOne(*p.src);
    });
  });
  workers_.WaitIdle();
}

}  // namespace ferry::sync
