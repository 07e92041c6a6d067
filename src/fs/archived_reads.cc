#include "fs/archived_reads.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "core/clock.h"
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

Status ArchivedReads::RequestOnce(const std::string& bucket, const std::string& key) {
  {
    std::lock_guard lock(mu_);
    if (!requested_.insert(bucket + "/" + key).second) return Status::OK();
  }
  auto answer = store_.RestoreObject(
      {.bucket = bucket, .key = key, .days = policy_.days, .tier = policy_.tier});
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

Result<bool> ArchivedReads::ReadableNow(const std::string& bucket, const std::string& key) {
  FERRY_ASSIGN_OR_RETURN(ObjectMeta head, store_.HeadObject(bucket, key));
  return s3::ReadableNow(head.headers, SystemClock().NowNanos());
}

Status ArchivedReads::CheckOpen(const std::string& bucket, const std::string& key) {
  FERRY_ASSIGN_OR_RETURN(bool readable, ReadableNow(bucket, key));
  if (readable) return Status::OK();
  FERRY_RETURN_IF_ERROR(RequestOnce(bucket, key));
  return StillArchived(bucket, key, "a restore is under way");
}

Status ArchivedReads::Handle(const std::string& bucket, const std::string& key) {
  FERRY_RETURN_IF_ERROR(RequestOnce(bucket, key));
  // Not InvalidObjectState (EAGAIN) from a read: buffered readers take that for "no data yet"
  // and would see the file end there.
  if (!policy_.wait) {
    return Status::PermissionDenied("s3://" + bucket + "/" + key +
                                    " is archived; a restore is under way");
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::nanoseconds(policy_.wait_ns);
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(bool readable, ReadableNow(bucket, key));
    if (readable) return Status::OK();
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Unavailable("s3://" + bucket + "/" + key +
                                 " is archived; --restore-wait passed before its restore");
    }
    std::this_thread::sleep_for(std::chrono::nanoseconds(policy_.poll_ns));
  }
}

}  // namespace ferry::fs
