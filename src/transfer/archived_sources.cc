#include "transfer/archived_sources.h"

#include <set>

namespace ferry::transfer {
namespace {

constexpr size_t kNamedInError = 5;

std::string NotRestoredMessage(const std::string& bucket, const std::string& source,
                               const std::vector<std::string>& keys) {
  std::string msg = std::to_string(keys.size()) +
                    (keys.size() == 1 ? " object is" : " objects are") +
                    " archived (GLACIER, DEEP_ARCHIVE or an Intelligent-Tiering archive tier) and "
                    "not restored, so none of them was copied: ";
  for (size_t i = 0; i < keys.size() && i < kNamedInError; ++i) {
    if (i > 0) msg += ", ";
    msg += "s3://" + bucket + "/" + keys[i];
  }
  if (keys.size() > kNamedInError) {
    msg += " and " + std::to_string(keys.size() - kNamedInError) + " more";
  }
  msg += ". Restore them first (ferry restore s3://" + bucket + "/" + source +
         " --wait) or copy with --restore [--tier bulk|standard|expedited]";
  return msg;
}

}  // namespace

void ArchivedSources::Add(std::string key, std::function<void()> copy) {
  held_.emplace_back(std::move(key), std::move(copy));
}

Status ArchivedSources::Resolve(ObjectStore& store, const std::string& bucket,
                                const std::string& source) {
  if (held_.empty()) return Status::OK();
  const RestoreSettings settings = options_.restore.value_or(RestoreSettings{});
  std::vector<std::string> keys;
  keys.reserve(held_.size());
  for (const auto& [key, copy] : held_) keys.push_back(key);
  FERRY_ASSIGN_OR_RETURN(std::vector<RestoreTarget> targets,
                         Unreadable(store, bucket, keys, settings.parallel));
  std::vector<std::string> unreadable;
  for (const auto& t : targets) unreadable.push_back(t.key);
  const std::set<std::string> waiting(unreadable.begin(), unreadable.end());
  for (const auto& [key, copy] : held_) {
    if (!waiting.contains(key)) copy();
  }
  if (unreadable.empty()) return Status::OK();
  if (!options_.restore) {
    unresolved_ = unreadable.size();
    return Status::PreconditionFailed(NotRestoredMessage(bucket, source, unreadable))
        .WithS3Code("InvalidObjectState", 403);
  }
  auto say = [&](const std::string& line) {
    if (options_.progress) options_.progress(line);
  };
  RestoreTally tally = RequestRestores(
      store, bucket, targets, settings,
      [&](const std::string& key, RestoreResult result, const Status& status) {
        if (result == RestoreResult::kFailed)
          say("restore of s3://" + bucket + "/" + key + " failed: " + status.ToString());
      });
  if (tally.failed > 0) {
    unresolved_ = unreadable.size();
    return Status::IOError(std::to_string(tally.failed) + " of " +
                           std::to_string(unreadable.size()) +
                           " restores could not be requested; nothing of them was copied");
  }
  say("restoring " + std::to_string(unreadable.size()) + " archived objects (" + settings.tier +
      " tier): " + std::to_string(tally.requested) + " requested, " +
      std::to_string(tally.in_progress) + " already under way");
  size_t last_ready = SIZE_MAX;
  unresolved_ = unreadable.size();  // until they are readable
  FERRY_RETURN_IF_ERROR(WaitReadable(
      store, bucket, unreadable, settings, /*timeout_ns=*/0,
      [&](size_t ready, size_t total) {
        if (ready == last_ready) return;
        last_ready = ready;
        say("restored " + std::to_string(ready) + "/" + std::to_string(total));
      },
      options_.interrupted));
  unresolved_ = 0;
  for (const auto& [key, copy] : held_) {
    if (waiting.contains(key)) copy();
  }
  return Status::OK();
}

}  // namespace ferry::transfer
