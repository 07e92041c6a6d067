#include "transfer/local_file.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <random>

namespace ferry::transfer {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

void Fd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

unsigned ReadUmask() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("Umask:"))
      return static_cast<unsigned>(std::stoul(line.substr(6), nullptr, 8));
  }
  return 022;
}

Status MakeParentDirs(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return Status::OK();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) return Status::IOError(parent.string() + ": " + ec.message());
  return Status::OK();
}

Result<Fd> CreateTempBeside(const std::string& dest, std::string* temp_path) {
  auto p = std::filesystem::path(dest);
  // Names need only be unlikely to collide (O_EXCL settles the rest), so one seed per thread:
  // constructing a std::random_device per file costs CPUID instructions, which trap to the
  // hypervisor on a VM (a tenth of the client's CPU when downloading many small files).
  thread_local std::minstd_rand rng(std::random_device{}());
  for (int attempt = 0; attempt < 100; ++attempt) {
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(rng()));
    auto temp = p.parent_path() / ("." + p.filename().string() + ".ferry-" + suffix);
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      *temp_path = temp.string();
      return Fd(fd);
    }
    if (errno != EEXIST) return Status::FromErrno(dest, errno);
  }
  return Status::IOError(dest + ": cannot create a temporary file");
}

s3::PosixAttributes AttributesOf(const struct stat& st) {
  s3::PosixAttributes a;
  a.mode = st.st_mode;
  a.uid = st.st_uid;
  a.gid = st.st_gid;
  a.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  a.atime_ns = int64_t{st.st_atim.tv_sec} * 1'000'000'000 + st.st_atim.tv_nsec;
  return a;
}

Status ApplyAttributes(int fd, const s3::PosixAttributes& attrs, unsigned umask,
                       bool restore_owner) {
  mode_t mode = attrs.mode ? (*attrs.mode & 07777) : (0666 & ~umask);
  if (restore_owner && (attrs.uid || attrs.gid)) {
    // Before chmod: chown clears set-id bits.
    if (::fchown(fd, attrs.uid ? *attrs.uid : -1, attrs.gid ? *attrs.gid : -1) != 0) {
      return Status::FromErrno("chown", errno);
    }
  }
  if (::fchmod(fd, mode) != 0) return Status::FromErrno("chmod", errno);
  if (attrs.mtime_ns) {
    struct timespec times[2];
    int64_t atime = attrs.atime_ns ? *attrs.atime_ns : *attrs.mtime_ns;
    times[0] = {static_cast<time_t>(atime / 1'000'000'000),
                static_cast<long>(atime % 1'000'000'000)};
    times[1] = {static_cast<time_t>(*attrs.mtime_ns / 1'000'000'000),
                static_cast<long>(*attrs.mtime_ns % 1'000'000'000)};
    if (::futimens(fd, times) != 0) return Status::FromErrno("set times", errno);
  }
  return Status::OK();
}

namespace {
struct timespec ToTimespec(int64_t ns) {
  return {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}
}  // namespace

Status ApplyLinkAttributes(const std::string& path, const s3::PosixAttributes& attrs,
                           bool restore_owner) {
  if (restore_owner && (attrs.uid || attrs.gid)) {
    if (::lchown(path.c_str(), attrs.uid ? *attrs.uid : -1, attrs.gid ? *attrs.gid : -1) != 0) {
      return Status::FromErrno(path, errno);
    }
  }
  if (attrs.mtime_ns) {
    struct timespec times[2] = {ToTimespec(attrs.atime_ns ? *attrs.atime_ns : *attrs.mtime_ns),
                                ToTimespec(*attrs.mtime_ns)};
    if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
      return Status::FromErrno(path, errno);
    }
  }
  return Status::OK();
}

}  // namespace ferry::transfer
