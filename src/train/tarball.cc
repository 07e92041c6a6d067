#include "train/tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <vector>

namespace ferry::train {
namespace {

struct ArchiveCloser {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

Status ArchiveError(archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return Status::IOError(what + ": " + (msg ? msg : "archive error"));
}

}  // namespace

Status WriteTarGz(const std::string& dir, const std::string& path) {
  std::unique_ptr<archive, ArchiveCloser> a(archive_write_new());
  if (!a) return Status::Internal("libarchive: archive_write_new failed");
  if (archive_write_add_filter_gzip(a.get()) != ARCHIVE_OK ||
      archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
      archive_write_open_filename(a.get(), path.c_str()) != ARCHIVE_OK) {
    return ArchiveError(a.get(), path);
  }
  std::error_code ec;
  // Sorted, so an archive of the same tree comes out the same.
  std::vector<std::filesystem::path> paths;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    paths.push_back(it->path());
  }
  if (ec) return Status::IOError(dir + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  std::vector<char> buf(1 << 20);
  for (const auto& p : paths) {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) return Status::FromErrno(p.string(), errno);
    std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), p.lexically_relative(dir).generic_string().c_str());
    archive_entry_copy_stat(entry.get(), &st);
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlink(p.c_str(), target.data(), target.size());
      if (n < 0) return Status::FromErrno(p.string(), errno);
      target.resize(static_cast<size_t>(n));
      archive_entry_set_symlink(entry.get(), target.c_str());
    } else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
      continue;  // sockets, FIFOs, devices have no place in a model archive
    }
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
      return ArchiveError(a.get(), p.string());
    }
    if (!S_ISREG(st.st_mode)) continue;
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno(p.string(), errno);
    Status st_copy;
    for (;;) {
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        st_copy = Status::FromErrno(p.string(), errno);
        break;
      }
      if (n == 0) break;
      if (archive_write_data(a.get(), buf.data(), static_cast<size_t>(n)) != n) {
        st_copy = ArchiveError(a.get(), p.string());
        break;
      }
    }
    ::close(fd);
    FERRY_RETURN_IF_ERROR(st_copy);
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return ArchiveError(a.get(), path);
  return Status::OK();
}

}  // namespace ferry::train
