// AccessRecorder: when INTELLIGENT_TIERING versions were last read. S3 Intelligent-Tiering
// moves a version to an archive access tier after days without access, so reads must be
// remembered; one index write per read would double the cost of a GET, so reads are noted in
// memory and written to the versions' metadata in batches (Flush, at the start of every
// lifecycle pass), and at most once a day per version: the idle time is known to a day, as
// S3's is. A crash loses the reads noted since the last flush, so a version may be archived a
// pass early, never lost. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "ferry/object_store.h"

namespace ferry::server {

class AccessRecorder {
 public:
  struct Options {
    const Clock* clock = &SystemClock();
    int64_t day_ns = int64_t{86400} * 1'000'000'000;
    size_t max_pending = 100'000;  // a reader that finds this many flushes them itself
  };
  AccessRecorder(ObjectStore& store, Options options);
  AccessRecorder(const AccessRecorder&) = delete;
  AccessRecorder& operator=(const AccessRecorder&) = delete;

  // Notes a read of the version meta describes (as read, with its headers), if it is an
  // INTELLIGENT_TIERING version whose recorded access is a day old.
  void Record(const std::string& bucket, const ObjectMeta& meta);

  // Writes the reads noted so far; returns how many versions were updated.
  size_t Flush();

 private:
  struct Access {
    std::string bucket, key, version_id, etag;
    int64_t at_ns = 0;
  };
  bool Write(const Access& a);

  ObjectStore& store_;
  const Options options_;
  std::mutex mu_;
  std::unordered_map<std::string, Access> pending_;  // by bucket, key and version
  std::mutex flush_mu_;  // one flush at a time: a version's accesses are written in order
};

}  // namespace ferry::server
