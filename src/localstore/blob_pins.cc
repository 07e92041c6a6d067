#include "localstore/blob_pins.h"

namespace ferry::local {

void BlobPins::PinKey(std::string_view key) {
  std::lock_guard l(mu_);
  keys_[std::string(key)].pins++;
}

void BlobPins::PinBlobsAndUnpinKey(std::string_view key, const std::vector<BlobId>& blobs) {
  std::vector<BlobId> now;
  {
    std::lock_guard l(mu_);
    for (const auto& b : blobs) blobs_[b].pins++;
    auto it = keys_.find(std::string(key));
    if (it != keys_.end() && --it->second.pins == 0) {
      DropLocked(it->second.deferred, &now);
      keys_.erase(it);
    }
  }
  Unlink(now);
}

void BlobPins::UnpinKey(std::string_view key) {
  PinBlobsAndUnpinKey(key, {});
}

void BlobPins::UnpinBlobs(const std::vector<BlobId>& blobs) {
  std::vector<BlobId> now;
  {
    std::lock_guard l(mu_);
    for (const auto& b : blobs) {
      auto it = blobs_.find(b);
      if (it == blobs_.end() || --it->second.pins > 0) continue;
      if (it->second.dead) now.push_back(b);
      blobs_.erase(it);
    }
  }
  Unlink(now);
}

void BlobPins::Release(std::string_view key, const std::vector<BlobId>& blobs) {
  if (blobs.empty()) return;
  std::vector<BlobId> now;
  {
    std::lock_guard l(mu_);
    auto it = key.empty() ? keys_.end() : keys_.find(std::string(key));
    if (it != keys_.end()) {
      it->second.deferred.insert(it->second.deferred.end(), blobs.begin(), blobs.end());
    } else {
      DropLocked(blobs, &now);
    }
  }
  Unlink(now);
}

bool BlobPins::HasDeferred() const {
  std::lock_guard l(mu_);
  for (const auto& [key, state] : keys_) {
    if (!state.deferred.empty()) return true;
  }
  for (const auto& [id, state] : blobs_) {
    if (state.dead) return true;
  }
  return false;
}

void BlobPins::DropLocked(const std::vector<BlobId>& blobs, std::vector<BlobId>* out) {
  for (const auto& b : blobs) {
    auto it = blobs_.find(b);
    if (it == blobs_.end()) {
      out->push_back(b);
    } else {
      it->second.dead = true;
    }
  }
}

void BlobPins::Unlink(const std::vector<BlobId>& blobs) {
  for (const auto& b : blobs) unlink_(b);
}

}  // namespace ferry::local
