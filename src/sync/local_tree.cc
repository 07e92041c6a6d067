#include "sync/local_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

namespace ferry::sync {
namespace {

int64_t Nanos(const struct timespec& ts) {
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

struct Child {
  std::string sort_name;  // the name, with '/' appended for directories: S3 key order
  bool is_dir;
};

// A directory being walked: open, so that its children are looked up by name relative to it
// (fstatat, openat) instead of by a full path the kernel resolves again for every file.
struct OpenDir {
  std::unique_ptr<DIR, DirCloser> dir;
  std::vector<Child> children;  // sorted as their keys sort
  int fd() const { return ::dirfd(dir.get()); }
};

// Opens name (relative to at_fd, or a path) and reads its names; path names it in errors.
Result<OpenDir> ReadSorted(int at_fd, const std::string& name, const std::string& path) {
  const int fd = ::openat(at_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(path, errno);
  OpenDir open;
  open.dir.reset(::fdopendir(fd));
  if (!open.dir) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno(path, err);
  }
  errno = 0;
  while (struct dirent* e = ::readdir(open.dir.get())) {
    std::string_view child = e->d_name;
    if (child == "." || child == "..") continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir = ::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    open.children.push_back({std::string(child) + (is_dir ? "/" : ""), is_dir});
  }
  if (errno != 0) return Status::FromErrno(path, errno);
  std::sort(open.children.begin(), open.children.end(),
            [](const Child& a, const Child& b) { return a.sort_name < b.sort_name; });
  return open;
}

void FillFromStat(const struct stat& st, Entry& entry) {
  if (S_ISREG(st.st_mode)) {
    entry.kind = EntryKind::kFile;
  } else if (S_ISDIR(st.st_mode)) {
    entry.kind = EntryKind::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    entry.kind = EntryKind::kSymlink;
  } else {
    entry.kind = EntryKind::kSpecial;
  }
  entry.size = entry.kind == EntryKind::kDirectory ? 0 : static_cast<uint64_t>(st.st_size);
  entry.attrs.mode = st.st_mode;
  entry.attrs.uid = st.st_uid;
  entry.attrs.gid = st.st_gid;
  entry.attrs.mtime_ns = Nanos(st.st_mtim);
  entry.attrs.atime_ns = Nanos(st.st_atim);
  entry.has_attrs = true;
  entry.dev = st.st_dev;
  entry.ino = st.st_ino;
  entry.ctime_ns = Nanos(st.st_ctim);
}

// Walks the directory `name` of at_fd, which is root + "/" + prefix (prefix ends with '/'
// below the root).
Status Walk(const std::string& root, int at_fd, const std::string& name, const std::string& prefix,
            const PathSelector& selector, const LocalWalkCallbacks& cb) {
  const std::string dir = prefix.empty() ? root : root + "/" + prefix;
  auto open = ReadSorted(at_fd, name, dir);
  if (!open.ok()) {
    cb.error(prefix, open.status());
    return Status::OK();
  }
  for (const Child& child : open->children) {
    std::string key = prefix + child.sort_name;
    if (child.is_dir && !selector.MayDescend(key)) continue;
    std::string base = child.sort_name;
    if (child.is_dir) base.pop_back();
    Entry entry;
    entry.name = key;
    // Its path, for errors only: the walk itself never builds it.
    const auto path = [&] { return root + "/" + prefix + base; };
    struct stat st;
    if (::fstatat(open->fd(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      const int err = errno;  // before building the path allocates
      cb.error(key, Status::FromErrno(path(), err));
      continue;
    }
    FillFromStat(st, entry);
    if ((entry.kind == EntryKind::kDirectory) != child.is_dir) {
      cb.error(key, Status::Unavailable(path() + ": changed type during the scan"));
      continue;
    }
    if (selector.Selects(key)) FERRY_RETURN_IF_ERROR(cb.entry(entry));
    if (child.is_dir) FERRY_RETURN_IF_ERROR(Walk(root, open->fd(), base, key, selector, cb));
  }
  return Status::OK();
}

}  // namespace

bool StatLocalEntry(const std::string& path, Entry& entry) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return false;
  FillFromStat(st, entry);
  return true;
}

Status WalkLocalTree(const std::string& root, const PathSelector& selector,
                     const LocalWalkCallbacks& callbacks) {
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) return Status::FromErrno(root, errno);
  if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument(root + ": not a directory");
  return Walk(root, AT_FDCWD, root, "", selector, callbacks);
}

}  // namespace ferry::sync
