// BlobPins: keeps blobs that open readers use from being unlinked.
//
// After an index commit drops references to blobs (overwrite, delete), the committing thread
// hands them to Release(). A reader opening key K first pins K (KeyPin), then looks the key up
// in the index and pins the blobs of the version it found (PinBlobs), then drops the key pin.
// Release() defers unlinking while the key or a blob is pinned, so:
//   - a lookup that started before the commit may return the old version; its blobs stay
//     until the key pin (then the blob pins) are gone;
//   - a lookup that started after Release() ran sees the commit, so never the dropped blobs.
// Blob ids are never reused, so a dropped blob is never referenced again. Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "localstore/blob_id.h"

namespace ferry::local {

class BlobPins {
 public:
  using Unlinker = std::function<void(const BlobId&)>;
  explicit BlobPins(Unlinker unlink) : unlink_(std::move(unlink)) {}

  void PinKey(std::string_view key);
  // Pins blobs (may be empty), then unpins key: one atomic step.
  void PinBlobsAndUnpinKey(std::string_view key, const std::vector<BlobId>& blobs);
  void UnpinKey(std::string_view key);
  void UnpinBlobs(const std::vector<BlobId>& blobs);

  // Unlinks blobs that key's committed versions no longer reference, now or when the last
  // pin on them goes. An empty key means the blobs were never readable (multipart parts).
  void Release(std::string_view key, const std::vector<BlobId>& blobs);

  // True when unlinks are waiting for pins (a crash now would leave stray blobs).
  bool HasDeferred() const;

 private:
  struct KeyState {
    int pins = 0;
    std::vector<BlobId> deferred;  // released while the key was pinned
  };
  struct BlobState {
    int pins = 0;
    bool dead = false;  // released: unlink at the last unpin
  };
  // REQUIRES: mu_ held. Moves blobs that can go now to out; marks the others dead.
  void DropLocked(const std::vector<BlobId>& blobs, std::vector<BlobId>* out);
  void Unlink(const std::vector<BlobId>& blobs);

  Unlinker unlink_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, KeyState> keys_;
  std::unordered_map<BlobId, BlobState, BlobIdHash> blobs_;
};

}  // namespace ferry::local
