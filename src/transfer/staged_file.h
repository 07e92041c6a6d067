// A download's file, written out of sight and then put at its destination in one step, so
// neither a reader nor a failed transfer ever leaves a partial file under the final name.
#pragma once

#include <string>
#include <utility>

#include "ferry/result.h"
#include "transfer/local_file.h"

namespace ferry::transfer {

class StagedFile {
 public:
  // Creates dest's missing parent directories. Where the file system allows, the file is anonymous
  // (O_TMPFILE) until Commit links it in: one directory update per file instead of a create and a
  // rename, and nothing to clean up after a crash. Elsewhere it is a hidden temp file beside dest
  // ("dir/.name.ferry-XXXXXXXX").
  static Result<StagedFile> Create(const std::string& dest);

  StagedFile(StagedFile&& other) noexcept
      : dest_(std::move(other.dest_)),
        fd_(std::move(other.fd_)),
        temp_path_(std::move(other.temp_path_)),
        done_(std::exchange(other.done_, true)) {}
  StagedFile& operator=(StagedFile&&) = delete;
  ~StagedFile() { Abandon(); }

  int fd() const { return fd_.get(); }

  // Closes the file and makes it appear at dest, replacing what was there.
  Status Commit();
  // Closes and removes the file; a no-op after Commit.
  void Abandon();

 private:
  StagedFile(std::string dest, Fd fd, std::string temp_path)
      : dest_(std::move(dest)), fd_(std::move(fd)), temp_path_(std::move(temp_path)) {}
  Status LinkAnonymous();

  std::string dest_;
  Fd fd_;
  std::string temp_path_;  // empty while anonymous
  bool done_ = false;
};

}  // namespace ferry::transfer
