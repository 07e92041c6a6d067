#include "sync/local_tree.h"

#include <dirent.h>
#include <sys/stat.h>

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

// Names in dir, directories marked, sorted as their keys sort.
Result<std::vector<Child>> ReadSorted(const std::string& dir) {
  std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
  if (!d) return Status::FromErrno(dir, errno);
  std::vector<Child> children;
  errno = 0;
  while (struct dirent* e = ::readdir(d.get())) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st;
      std::string path = dir + "/" + std::string(name);
      is_dir = ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    children.push_back({std::string(name) + (is_dir ? "/" : ""), is_dir});
  }
  if (errno != 0) return Status::FromErrno(dir, errno);
  std::sort(children.begin(), children.end(),
            [](const Child& a, const Child& b) { return a.sort_name < b.sort_name; });
  return children;
}

Status Walk(const std::string& root, const std::string& prefix, const PathSelector& selector,
            const LocalWalkCallbacks& cb) {
  const std::string dir = prefix.empty() ? root : root + "/" + prefix;
  auto children = ReadSorted(dir);
  if (!children.ok()) {
    cb.error(prefix, children.status());
    return Status::OK();
  }
  for (const Child& child : *children) {
    std::string name = prefix + child.sort_name;
    if (child.is_dir && !selector.MayDescend(name)) continue;
    Entry entry;
    entry.name = name;
    std::string path = root + "/" + name;
    if (child.is_dir) path.pop_back();
    if (!StatLocalEntry(path, entry)) {
      cb.error(name, Status::FromErrno(path, errno));
      continue;
    }
    if ((entry.kind == EntryKind::kDirectory) != child.is_dir) {
      cb.error(name, Status::Unavailable(path + ": changed type during the scan"));
      continue;
    }
    if (selector.Selects(name)) FERRY_RETURN_IF_ERROR(cb.entry(entry));
    if (child.is_dir) FERRY_RETURN_IF_ERROR(Walk(root, name, selector, cb));
  }
  return Status::OK();
}

}  // namespace

bool StatLocalEntry(const std::string& path, Entry& entry) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return false;
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
  return true;
}

Status WalkLocalTree(const std::string& root, const PathSelector& selector,
                     const LocalWalkCallbacks& callbacks) {
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) return Status::FromErrno(root, errno);
  if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument(root + ": not a directory");
  return Walk(root, "", selector, callbacks);
}

}  // namespace ferry::sync
