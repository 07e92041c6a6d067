#include "gateway/files_ahead.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace ferry::gateway {

FilesAhead::FilesAhead(std::function<std::string(uint64_t)> path_of, uint64_t ahead)
    : path_of_(std::move(path_of)), ahead_(std::max<uint64_t>(ahead, 2)) {
  thread_ = std::thread([this] { Run(); });
}

FilesAhead::~FilesAhead() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wanted_.notify_all();
  thread_.join();
}

void FilesAhead::Advance(uint64_t next_ino) {
  std::lock_guard lock(mu_);
  next_ino_ = std::max(next_ino_, next_ino);
  // Woken in batches: half of the files ahead used up.
  if (made_to_ < next_ino_ + ahead_ / 2) wanted_.notify_one();
}

void FilesAhead::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    wanted_.wait(lock,
                 [&] { return stopping_ || (next_ino_ > 0 && made_to_ < next_ino_ + ahead_ / 2); });
    if (stopping_) return;
    // Numbers given out meanwhile (a listing takes many at once) need no file from here.
    uint64_t ino = std::max(made_to_, next_ino_);
    const uint64_t until = next_ino_ + ahead_;
    lock.unlock();
    for (; ino < until; ++ino) {
      // Never truncating: the number may have been given out and written to meanwhile.
      const int fd = ::open(path_of_(ino).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      if (fd >= 0) ::close(fd);
    }
    lock.lock();
    made_to_ = until;
  }
}

}  // namespace ferry::gateway
