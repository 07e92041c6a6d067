// The archived sources a copy meets (GLACIER and DEEP_ARCHIVE objects whose bytes cannot be
// read until restored). Their copies are held back while the rest proceed; then either one
// error names them all (and none of them is copied), or, when restores were asked for, they
// are requested, awaited and the held copies run. Thread-compatible.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ferry/object_store.h"
#include "transfer/restore.h"

namespace ferry::transfer {

class ArchivedSources {
 public:
  struct Options {
    std::optional<RestoreSettings> restore;  // unset: report, do not restore
    std::function<void(const std::string& line)> progress;
    std::function<bool()> interrupted;
  };
  explicit ArchivedSources(Options options) : options_(std::move(options)) {}

  // Holds back the copy of key.
  void Add(std::string key, std::function<void()> copy);
  // Holds it back when hold is set, else runs it now.
  void RunOrHold(bool hold, std::string key, std::function<void()> copy) {
    hold ? Add(std::move(key), std::move(copy)) : copy();
  }

  // Runs the held copies of keys readable by now (restored earlier); for the others returns
  // the one error naming them, or restores them (requests, waits) and runs their copies.
  // source names what was copied, for the message's `ferry restore` hint.
  Status Resolve(ObjectStore& store, const std::string& bucket, const std::string& source);

  // How many held copies Resolve could not run (archived, not restored, no restore asked).
  size_t unresolved() const { return unresolved_; }

 private:
  Options options_;
  size_t unresolved_ = 0;
  std::vector<std::pair<std::string, std::function<void()>>> held_;
};

}  // namespace ferry::transfer
