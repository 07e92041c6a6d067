#include "fuse/fuse_mount.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "fs/errno_of.h"
#include "fuse/fuse_session.h"
#include "fuse/kernel_read_ahead.h"

namespace ferry::fuse {
namespace {

struct timespec ToTimespec(int64_t ns) {
  return {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

struct OpenDirectory {
  std::vector<fs::Namespace::Child> children;
};

}  // namespace

struct FuseMount::Impl {
  fs::Namespace& names;
  fs::BlockReader& reader;
  fs::ShownFiles& files;
  MountOptions options;
  // Opens are answered (and archived files checked) with --on-archived error only.
  fs::ArchivedReads* archived_opens = nullptr;
  fuse_session* session = nullptr;
  bool mounted = false;

  // Invalidations go out from a thread of their own, never from inside a request.
  std::mutex inval_mu;
  std::condition_variable inval_cv;
  struct Invalidation {
    uint64_t ino = 0;
    fs::ByteRange range;  // length 0: all of the inode's pages
  };
  std::deque<Invalidation> inval_queue;  // guarded by inval_mu
  bool inval_stop = false;               // guarded by inval_mu
  std::thread invalidator;

  static Impl& Of(fuse_req_t req) { return *static_cast<Impl*>(fuse_req_userdata(req)); }

  static void Init(void* userdata, fuse_conn_info* conn) {
    const Impl& m = *static_cast<Impl*>(userdata);
    // Pages are dropped when an inode's ETag changes (NoteVersion), not when the kernel sees
    // another mtime: a file's first attributes are the listing's, and the bytes stored with
    // its exact ones (GetAttr) must survive their answer.
    conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
    // The kernel keeps the smaller of this and the read-ahead set in sysfs at the mount.
    if (m.options.kernel_read_ahead_bytes > conn->max_readahead) {
      conn->max_readahead = static_cast<unsigned>(
          std::min<uint64_t>(m.options.kernel_read_ahead_bytes, uint64_t{1} << 30));
    }
  }

  struct stat StatOf(const fs::NodeAttributes& a) const {
    struct stat st;
    std::memset(&st, 0, sizeof st);
    st.st_ino = a.ino;
    st.st_mode = a.mode;
    st.st_nlink = S_ISDIR(a.mode) ? 2 : 1;
    st.st_uid = a.uid;
    st.st_gid = a.gid;
    st.st_size = static_cast<off_t>(a.size);
    st.st_blksize = static_cast<blksize_t>(reader.block_size());
    st.st_blocks = static_cast<blkcnt_t>((a.size + 511) / 512);
    st.st_mtim = ToTimespec(a.mtime_ns);
    st.st_atim = ToTimespec(a.atime_ns);
    st.st_ctim = st.st_mtim;
    return st;
  }

  void Fail(fuse_req_t req, const char* op, const Status& st) {
    const int err = fs::ErrnoOf(st);
    if (err != ENOENT) spdlog::warn("{}: {}", op, st.ToString());
    fuse_reply_err(req, err);
  }

  static void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    Impl& m = Of(req);
    auto a = m.names.Lookup(parent, name);
    if (!a.ok()) return m.Fail(req, "lookup", a.status());
    fuse_entry_param e;
    std::memset(&e, 0, sizeof e);
    e.ino = a->ino;
    e.generation = 1;
    e.attr = m.StatOf(*a);
    e.attr_timeout = e.entry_timeout = m.options.attr_timeout_s;
    m.files.NoteVersion(*a);
    fuse_reply_entry(req, &e);
  }

  // The kernel is about to see this version of the inode: if it held pages of another one,
  // they go.
  void Invalidate(Invalidation what) {
    std::lock_guard lock(inval_mu);
    inval_queue.push_back(what);
    inval_cv.notify_one();
  }

  void RunInvalidator() {
    std::unique_lock lock(inval_mu);
    while (true) {
      inval_cv.wait(lock, [&] { return inval_stop || !inval_queue.empty(); });
      if (inval_stop) return;
      const Invalidation what = inval_queue.front();
      inval_queue.pop_front();
      lock.unlock();
      fuse_lowlevel_notify_inval_inode(session, what.ino, static_cast<off_t>(what.range.offset),
                                       static_cast<off_t>(what.range.length));
      lock.lock();
    }
  }

  // Drops the kernel's n references; an inode it no longer knows has no pages to keep.
  void ForgetInode(fuse_ino_t ino, uint64_t n) {
    if (names.Forget(ino, n)) files.Forget(ino);
  }

  static void Forget(fuse_req_t req, fuse_ino_t ino, uint64_t n) {
    Of(req).ForgetInode(ino, n);
    fuse_reply_none(req);
  }

  static void ForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
    for (size_t i = 0; i < count; ++i) Of(req).ForgetInode(forgets[i].ino, forgets[i].nlookup);
    fuse_reply_none(req);
  }

  static void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    Impl& m = Of(req);
    auto a = m.names.GetAttributes(ino);
    if (!a.ok()) return m.Fail(req, "getattr", a.status());
    struct stat st = m.StatOf(*a);
    m.files.NoteVersion(*a);
    // A small file just fetched whole for these attributes stays in the reader's memory until
    // it is read: not pushed to the page cache here, where reads would no longer be seen, so
    // that an `ls -l` (attributes, no reads) soon exhausts the reader's unread budget and
    // takes attributes from HEADs instead of downloading the directory.
    fuse_reply_attr(req, &st, m.options.attr_timeout_s);
  }

  static void ReadLink(fuse_req_t req, fuse_ino_t ino) {
    Impl& m = Of(req);
    auto a = m.names.GetAttributes(ino);
    if (!a.ok()) return m.Fail(req, "readlink", a.status());
    if (!S_ISLNK(a->mode) || a->size > fs::Namespace::kMaxSymlinkTarget) {
      return (void)fuse_reply_err(req, EINVAL);
    }
    std::string target(a->size, '\0');
    auto n = m.reader.Read(a->object, 0, std::span<char>(target));
    if (!n.ok()) return m.Fail(req, ("readlink " + a->object.key).c_str(), n.status());
    target.resize(*n);
    fuse_reply_readlink(req, target.c_str());
  }

  // Not implemented, on purpose, unless archived files must fail their opens (--on-archived
  // error): the kernel then opens files without asking (and without a RELEASE when they close)
  // and keeps their pages across opens, which spares two round trips per file read whole. The
  // mount is read-only, so the kernel refuses writers itself.
  static void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    Impl& m = Of(req);
    if (!m.archived_opens) return (void)fuse_reply_err(req, ENOSYS);
    auto a = m.names.GetAttributes(ino);
    if (a.ok() && a->object.archived) {
      // EAGAIN once its restore is asked for: a read failing instead would look like the end
      // of the file to buffered readers (EAGAIN means "no data yet" to them).
      Status st = m.archived_opens->CheckOpen(a->object.bucket, a->object.key);
      if (!st.ok()) return m.Fail(req, ("open " + a->object.key).c_str(), st);
    }
    fi->keep_cache = 1;
    fuse_reply_open(req, fi);
  }

  static void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
    Impl& m = Of(req);
    // Replied from where the bytes lie (a block in memory): no copy before the kernel's.
    auto slices = m.files.Read(ino, static_cast<uint64_t>(off), size);
    if (!slices.ok()) {
      if (slices.status().code() == Status::Code::kInvalidArgument) {
        return (void)fuse_reply_err(req, EISDIR);
      }
      return m.Fail(req, ("read inode " + std::to_string(ino)).c_str(), slices.status());
    }
    std::vector<iovec> iov;
    iov.reserve(slices->parts.size());
    for (std::string_view part : slices->parts) {
      iov.push_back({const_cast<char*>(part.data()), part.size()});
    }
    fuse_reply_iov(req, iov.data(), static_cast<int>(iov.size()));
  }

  // No file answers ioctls. But the first request the kernel sends for a file that was just
  // looked up is often one: Python's open() asks isatty(). A small file fetched whole with
  // its attributes then goes to the kernel's page cache before the answer, so that the read
  // that follows finds its bytes there instead of asking. (Not at the lookup: the kernel
  // makes the inode only after that answer.)
  static void Ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int, void*, fuse_file_info*, unsigned,
                    const void*, size_t, size_t) {
    Impl& m = Of(req);
    m.StoreUnread(ino);
    fuse_reply_err(req, ENOTTY);
  }

  void StoreUnread(uint64_t ino) {
    auto data = files.TakeUnread(ino);
    if (!data || data->parts.size() != 1) return;
    fuse_bufvec bufv = FUSE_BUFVEC_INIT(data->size);
    bufv.buf[0].mem = const_cast<char*>(data->parts[0].data());
    const int rc = fuse_lowlevel_notify_store(session, ino, 0, &bufv, fuse_buf_copy_flags{});
    if (rc != 0) spdlog::debug("storing inode {} in the page cache: {}", ino, strerror(-rc));
  }

  static void OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    Impl& m = Of(req);
    auto children = m.names.ReadDirectory(ino);
    if (!children.ok()) return m.Fail(req, "opendir", children.status());
    auto dir = std::make_unique<OpenDirectory>();
    dir->children = std::move(children).value();
    fi->fh = reinterpret_cast<uint64_t>(dir.release());
    fuse_reply_open(req, fi);
  }

  static void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
    Of(req).ListDirectory(req, ino, size, off, fi, /*plus=*/false);
  }

  // With the attributes of each entry, so that the kernel knows every file of a directory that
  // was listed (a training job walks its dataset first) and its open needs no lookup.
  static void ReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                          fuse_file_info* fi) {
    Of(req).ListDirectory(req, ino, size, off, fi, /*plus=*/true);
  }

  // An entry with its number and type only (the kernel makes no inode for it).
  static fuse_entry_param NameOnly(uint64_t ino, bool directory) {
    fuse_entry_param e;
    std::memset(&e, 0, sizeof e);
    e.attr.st_ino = ino;
    e.attr.st_mode = directory ? S_IFDIR : S_IFREG;
    return e;
  }

  // The kernel's inode for a listed child, counted as one lookup, or the name only. A file's
  // attributes not read yet are the listing's, valid for no time: the kernel asks for them
  // (GETATTR) before the file is used. A file small enough to be a symlink gets no inode:
  // the kernel would keep the type the listing implies.
  fuse_entry_param ListedEntry(const fs::Namespace::Child& c) {
    if (!c.is_directory && c.object.size <= fs::Namespace::kMaxSymlinkTarget) {
      return NameOnly(c.ino, false);
    }
    auto now = names.ReferenceListed(c.ino);
    if (!now.ok()) return NameOnly(c.ino, c.is_directory);
    fuse_entry_param e = NameOnly(c.ino, c.is_directory);
    e.ino = c.ino;
    e.generation = 1;
    e.attr = StatOf(now->attributes);
    e.entry_timeout = options.attr_timeout_s;
    e.attr_timeout = now->exact ? options.attr_timeout_s : 0;
    files.NoteVersion(now->attributes);
    return e;
  }

  void ListDirectory(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi,
                     bool plus) {
    auto* dir = reinterpret_cast<OpenDirectory*>(fi->fh);
    std::vector<char> buf(size);
    size_t used = 0;
    // Offsets: 1 after ".", 2 after "..", 3 + i after child i.
    for (off_t i = off; i < static_cast<off_t>(dir->children.size()) + 2; ++i) {
      const fs::Namespace::Child* child =
          i >= 2 ? &dir->children[static_cast<size_t>(i - 2)] : nullptr;
      const std::string name = child ? child->name : i == 0 ? "." : "..";
      // Measured first: an entry that does not fit must not count a lookup.
      const size_t need = plus ? fuse_add_direntry_plus(req, nullptr, 0, name.c_str(), nullptr, 0)
                               : fuse_add_direntry(req, nullptr, 0, name.c_str(), nullptr, 0);
      if (need > size - used) break;
      // "." and ".." get a number too: readers skip entries without one.
      const fuse_entry_param e = !child ? NameOnly(i == 0 ? ino : fs::Namespace::kRootIno, true)
                                 : plus ? ListedEntry(*child)
                                        : NameOnly(child->ino, child->is_directory);
      char* at = buf.data() + used;
      used += plus ? fuse_add_direntry_plus(req, at, size - used, name.c_str(), &e, i + 1)
                   : fuse_add_direntry(req, at, size - used, name.c_str(), &e.attr, i + 1);
    }
    fuse_reply_buf(req, buf.data(), used);
  }

  static void ReleaseDir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    delete reinterpret_cast<OpenDirectory*>(fi->fh);
    fuse_reply_err(req, 0);
  }

  static void StatFs(fuse_req_t req, fuse_ino_t) {
    struct statvfs st;
    std::memset(&st, 0, sizeof st);
    st.f_bsize = st.f_frsize = 4096;
    st.f_blocks = st.f_bfree = st.f_bavail = uint64_t{1} << 40;
    st.f_files = st.f_ffree = uint64_t{1} << 32;
    st.f_namemax = 1024;
    fuse_reply_statfs(req, &st);
  }
};

FuseMount::FuseMount(fs::MountSession& session, MountOptions options)
    : impl_(new Impl{session.names(), session.reader(), session.files(), std::move(options)}) {
  if (!session.options().archived.wait) impl_->archived_opens = &session.archived();
  session.files().SetInvalidator([impl = impl_.get()](uint64_t ino, fs::ByteRange range) {
    impl->Invalidate({ino, range});
  });
}

FuseMount::~FuseMount() {
  impl_->names.SetChangeListener(nullptr);
  impl_->files.SetInvalidator(nullptr);
  if (impl_->invalidator.joinable()) {
    {
      std::lock_guard lock(impl_->inval_mu);
      impl_->inval_stop = true;
    }
    impl_->inval_cv.notify_all();
    impl_->invalidator.join();
  }
  if (impl_->session) {
    if (impl_->mounted) fuse_session_unmount(impl_->session);
    fuse_remove_signal_handlers(impl_->session);
    fuse_session_destroy(impl_->session);
  }
}

Status FuseMount::Mount() {
  static const fuse_lowlevel_ops ops = [] {
    fuse_lowlevel_ops o;
    std::memset(&o, 0, sizeof o);
    o.init = Impl::Init;
    o.lookup = Impl::Lookup;
    o.forget = Impl::Forget;
    o.forget_multi = Impl::ForgetMulti;
    o.getattr = Impl::GetAttr;
    o.readlink = Impl::ReadLink;
    o.open = Impl::Open;
    o.read = Impl::Read;
    o.ioctl = Impl::Ioctl;
    o.opendir = Impl::OpenDir;
    o.readdir = Impl::ReadDir;
    o.readdirplus = Impl::ReadDirPlus;
    o.releasedir = Impl::ReleaseDir;
    o.statfs = Impl::StatFs;
    return o;
  }();
  std::string opts = "ro,default_permissions,fsname=ferry,subtype=ferry";
  if (impl_->options.allow_other) opts += ",allow_other";
  // Resolved before mounting: once mounted, a look at the path waits for the mount's answer.
  std::error_code ec;
  const std::string where = std::filesystem::canonical(impl_->options.mountpoint, ec).string();
  FERRY_ASSIGN_OR_RETURN(impl_->session,
                         MountSession(ops, impl_.get(), opts, impl_->options.mountpoint,
                                      /*stop_on_signals=*/true));
  impl_->mounted = true;
  if (impl_->options.kernel_read_ahead_bytes > 0 && !ec) {
    Status set = SetKernelReadAhead(where, impl_->options.kernel_read_ahead_bytes);
    if (!set.ok()) spdlog::debug("the kernel's read-ahead stays as it is: {}", set.ToString());
  }
  impl_->invalidator = std::thread([impl = impl_.get()] { impl->RunInvalidator(); });
  // Refresh runs on the control socket's threads, never inside a FUSE request, as the
  // kernel's invalidation calls require.
  impl_->names.SetChangeListener([session = impl_->session](const fs::Namespace::Change& c) {
    fuse_lowlevel_notify_inval_entry(session, c.parent, c.name.c_str(), c.name.size());
    if (c.ino != 0) fuse_lowlevel_notify_inval_inode(session, c.ino, 0, 0);
  });
  return Status::OK();
}

Status FuseMount::Run() {
  if (!impl_->mounted) return Status::Internal("FUSE: not mounted");
  Status served = ServeSession(impl_->session, impl_->options.max_threads);
  fuse_session_unmount(impl_->session);
  impl_->mounted = false;
  return served;
}

}  // namespace ferry::fuse
