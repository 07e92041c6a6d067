// Where a multipart upload in progress is remembered, so that an upload cut short (the process
// killed, the machine restarted) continues with the parts already stored instead of starting
// over. The engine asks for an earlier upload of the same file version before creating one,
// and reports when an upload is created and when it ends (completed or aborted).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ferry::transfer {

// One version of a local file uploaded to one key in parts of one size.
struct UploadIdentity {
  std::string bucket;
  std::string key;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t part_size = 0;
};

class UploadJournal {
 public:
  virtual ~UploadJournal() = default;
  virtual std::optional<std::string> Find(const UploadIdentity& id) = 0;
  virtual void Started(const UploadIdentity& id, const std::string& upload_id) = 0;
  virtual void Ended(const UploadIdentity& id) = 0;
};

}  // namespace ferry::transfer
