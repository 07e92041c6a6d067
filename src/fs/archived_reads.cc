#include "fs/archived_reads.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "core/clock.h"
#include "s3/intelligent_tiering.h"
#include "s3/restore.h"

namespace ferry::fs {
namespace {

Status StillArchived(const std::string& bucket, const std::string& key, const char* why) {
  return Status::PermissionDenied("s3://" + bucket + "/" + key + " is archived; " + why)
      .WithS3Code("InvalidObjectState", 403);
}

}  // namespace

bool IsArchivedRefusal(const Status& status) {
  return status.s3_code() == "InvalidObjectState";
}

Status ArchivedReads::RequestOnce(const std::string& bucket, const ObjectMeta& head) {
  const std::string& key = head.key;
  {
    std::lock_guard lock(mu_);
    if (!requested_.insert(bucket + "/" + key).second) return Status::OK();
  }
  // An Intelligent-Tiering object's restore takes no Days: it is moved back for good.
  const bool tiering = head.headers.storage_class == s3::kIntelligentTiering;
  auto answer = store_.RestoreObject(
      {.bucket = bucket, .key = key, .days = tiering ? 0 : policy_.days, .tier = policy_.tier});
  if (!answer.ok() && answer.status().s3_code() != "RestoreAlreadyInProgress") {
    std::lock_guard lock(mu_);
    requested_.erase(bucket + "/" + key);  // asked again by the next read
    spdlog::warn("mount: s3://{}/{} is archived and its restore failed: {}", bucket, key,
                 answer.status().ToString());
    return answer.status();
  }
  spdlog::warn("mount: s3://{}/{} is archived: restore requested ({} tier){}", bucket, key,
               policy_.tier, policy_.wait ? "; reads wait for it" : "; reads fail with EAGAIN");
  return Status::OK();
}

Result<std::optional<ObjectMeta>> ArchivedReads::Unreadable(const std::string& bucket,
                                                            const std::string& key) {
  FERRY_ASSIGN_OR_RETURN(ObjectMeta head, store_.HeadObject(bucket, key));
  if (s3::ReadableNow(head.headers, SystemClock().NowNanos())) return std::optional<ObjectMeta>();
  if (head.key.empty()) head.key = key;
  return std::optional<ObjectMeta>(std::move(head));
}

Status ArchivedReads::CheckOpen(const std::string& bucket, const std::string& key) {
  FERRY_ASSIGN_OR_RETURN(auto head, Unreadable(bucket, key));
  if (!head) return Status::OK();
  FERRY_RETURN_IF_ERROR(RequestOnce(bucket, *head));
  return StillArchived(bucket, key, "a restore is under way");
}

Status ArchivedReads::Handle(const std::string& bucket, const std::string& key) {
  FERRY_ASSIGN_OR_RETURN(auto head, Unreadable(bucket, key));
  if (!head) return Status::OK();  // restored meanwhile
  FERRY_RETURN_IF_ERROR(RequestOnce(bucket, *head));
  // Not InvalidObjectState (EAGAIN) from a read: buffered readers take that for "no data yet"
  // and would see the file end there.
  if (!policy_.wait) {
    return Status::PermissionDenied("s3://" + bucket + "/" + key +
                                    " is archived; a restore is under way");
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::nanoseconds(policy_.wait_ns);
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(head, Unreadable(bucket, key));
    if (!head) return Status::OK();
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Unavailable("s3://" + bucket + "/" + key +
                                 " is archived; --restore-wait passed before its restore");
    }
    std::this_thread::sleep_for(std::chrono::nanoseconds(policy_.poll_ns));
  }
}

}  // namespace ferry::fs
