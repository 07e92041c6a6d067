#include "train/stderr_tail.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace ferry::train {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::unique_ptr<StderrTail>> StderrTail::Start(int out_fd, size_t keep_bytes) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::FromErrno("pipe", errno);
  return std::unique_ptr<StderrTail>(new StderrTail(fds[0], fds[1], out_fd, keep_bytes));
}

StderrTail::StderrTail(int read_fd, int write_fd, int out_fd, size_t keep_bytes)
    : read_fd_(read_fd), write_fd_(write_fd), out_fd_(out_fd), keep_bytes_(keep_bytes) {
  thread_ = std::thread([this] { Copy(); });
}

StderrTail::~StderrTail() {
  Finish(std::chrono::milliseconds(0));
  ::close(read_fd_);
}

void StderrTail::CloseWriteEnd() {
  if (write_fd_ >= 0) ::close(std::exchange(write_fd_, -1));
}

void StderrTail::Finish(std::chrono::milliseconds linger) {
  CloseWriteEnd();
  if (!thread_.joinable()) return;
  stop_at_ns_ = NowNs() + std::chrono::duration_cast<std::chrono::nanoseconds>(linger).count();
  thread_.join();
}

void StderrTail::Copy() {
  char buf[16384];
  for (;;) {
    const int64_t stop_at = stop_at_ns_.load();
    int timeout_ms = 100;
    if (stop_at != 0) {
      const int64_t left = stop_at - NowNs();
      if (left <= 0) return;
      timeout_ms = static_cast<int>(std::min<int64_t>(left / 1000000 + 1, 100));
    }
    pollfd p{read_fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, timeout_ms);
    if (ready < 0 && errno != EINTR) return;
    if (ready <= 0) continue;
    const ssize_t n = ::read(read_fd_, buf, sizeof buf);
    if (n == 0) return;  // every writer has closed it
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return;
    }
    for (ssize_t off = 0; off < n;) {
      const ssize_t w = ::write(out_fd_, buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;  // ferry's stderr is gone: keep the tail all the same
      off += w;
    }
    std::lock_guard lock(mu_);
    tail_.append(buf, static_cast<size_t>(n));
    if (tail_.size() > keep_bytes_) {
      tail_.erase(0, tail_.size() - keep_bytes_);
      cut_ = true;
    }
  }
}

std::string StderrTail::Tail() const {
  std::lock_guard lock(mu_);
  std::string text = tail_;
  if (cut_) {
    const size_t newline = text.find('\n');
    if (newline != std::string::npos && newline + 1 < text.size()) text.erase(0, newline + 1);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace ferry::train
