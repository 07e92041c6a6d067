// What is still on its way to the bucket: working-set notifications, the cache report, the
// counts of `ferry gateway status`, and draining before a stop.
#include <algorithm>
#include <chrono>

#include "gateway/event_log.h"
#include "gateway/gateway.h"

namespace ferry::gateway {

std::string Gateway::NotifyWhenUploaded() {
  std::lock_guard lock(mu_);
  Watch w;
  w.id = NewNotificationId();
  w.requested_ns = Now();
  for (uint64_t ino : pending_) {
    const Entry* e = Find(ino);
    if (e && (e->node.pending() || e->uploading)) w.nodes.emplace_back(ino, e->node.change_seq);
  }
  w.last_op = ops_.empty() ? 0 : ops_.back().id;
  watches_.push_back(std::move(w));
  work_.notify_all();
  return watches_.back().id;
}

std::vector<GatewayEvent> Gateway::CompletedWatchesLocked() {
  std::vector<GatewayEvent> out;
  for (auto it = watches_.begin(); it != watches_.end();) {
    bool done = ops_.empty() || ops_.front().id > it->last_op;
    for (const auto& [ino, seq] : it->nodes) {
      if (!done) break;
      const Entry* e = Find(ino);
      done = !e || e->uploaded_seq >= seq || (!e->node.pending() && !e->uploading);
    }
    if (!done) {
      ++it;
      continue;
    }
    GatewayEvent event;
    event.kind = GatewayEvent::Kind::kWorkingSetUploaded;
    event.notification_id = it->id;
    event.requested_ns = it->requested_ns;
    event.completed_ns = Now();
    out.push_back(std::move(event));
    it = watches_.erase(it);
  }
  return out;
}

std::vector<FileReport> Gateway::Report(ReportFilter filter) const {
  std::lock_guard lock(mu_);
  std::vector<FileReport> out;
  for (const auto& [ino, e] : nodes_) {
    if (ino == kRootIno) continue;
    FileReport r;
    r.state = e.uploading        ? "uploading"
              : e.failures > 0   ? "failing"
              : e.node.pending() ? "dirty"
                                 : "clean";
    if (filter == ReportFilter::kDirty && r.state == "clean") continue;
    if (filter == ReportFilter::kFailing && r.state != "failing") continue;
    r.path = PathOf(e.node);
    r.size = e.node.size;
    r.dirty_bytes = DirtyBytesOf(e.node);
    r.failures = e.failures;
    r.error = e.last_error;
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(),
            [](const FileReport& a, const FileReport& b) { return a.path < b.path; });
  return out;
}

GatewayStatus Gateway::Stats() const {
  std::lock_guard lock(mu_);
  GatewayStatus out = counters_;
  out.dirty_files = 0;
  out.failing = 0;
  for (uint64_t ino : pending_) {
    const Entry* e = Find(ino);
    if (e && e->node.pending()) out.dirty_files++;
    if (e && e->failures > 0) out.failing++;
  }
  out.dirty_bytes = dirty_bytes_;
  out.pending_operations = ops_.size();
  return out;
}

Status Gateway::Drain(int64_t timeout_ns) {
  std::unique_lock lock(mu_);
  draining_ = true;
  work_.notify_all();
  const bool done = changed_.wait_for(lock, std::chrono::nanoseconds(timeout_ns), [&] {
    if (!ops_.empty()) return false;
    for (uint64_t ino : pending_) {
      const Entry* e = Find(ino);
      if (e && (e->node.pending() || e->uploading)) return false;
    }
    return true;
  });
  draining_ = false;
  if (done) return Status::OK();
  return Status::Unavailable("uploads still pending; they stay journaled for the next start");
}

}  // namespace ferry::gateway
