#include "fuse/gateway_mount.h"

#include <sys/mount.h>

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <sys/sysmacros.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/child_process.h"
#include "fuse/fuse_session.h"
#include "gateway/posix_error.h"

namespace ferry::fuse {
namespace {

struct timespec ToTimespec(int64_t ns) {
  return {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

int64_t FromTimespec(const struct timespec& ts) {
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

struct OpenDirectory {
  std::vector<gateway::Gateway::DirEntry> entries;
};

}  // namespace

struct GatewayMount::Impl {
  gateway::Gateway& gw;
  GatewayMountOptions options;
  fuse_session* session = nullptr;
  bool mounted = false;
  std::atomic<bool> ended{false};  // the kernel ended the session (DESTROY)
  dev_t device = 0;                // of the mount, once it serves

  static Impl& Of(fuse_req_t req) { return *static_cast<Impl*>(fuse_req_userdata(req)); }

  static void Destroy(void* userdata) { static_cast<Impl*>(userdata)->ended = true; }

  static void Init(void*, fuse_conn_info* conn) {
    // NFS servers (nfs-ganesha's FSAL_VFS) open files by handle: "." and ".." lookups.
    conn->want |= FUSE_CAP_EXPORT_SUPPORT;
    conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
    // Writes gather in the page cache and come as one request per MiB instead of one per
    // write() (tar writes 10 KiB at a time); close and fsync still send them first, so what
    // they acknowledge is here. The kernel then keeps a file's size itself: a file the bucket
    // replaced comes with another generation (Attributes::generation).
    if (conn->capable & FUSE_CAP_WRITEBACK_CACHE) conn->want |= FUSE_CAP_WRITEBACK_CACHE;
    conn->max_write = 1 << 20;
  }

  struct stat StatOf(const gateway::Attributes& a) const {
    struct stat st;
    std::memset(&st, 0, sizeof st);
    st.st_ino = a.ino;
    st.st_mode = a.mode;
    st.st_nlink = a.nlink;
    st.st_uid = a.uid;
    st.st_gid = a.gid;
    st.st_size = static_cast<off_t>(a.size);
    st.st_blksize = 1 << 20;
    st.st_blocks = static_cast<blkcnt_t>((a.size + 511) / 512);
    st.st_mtim = ToTimespec(a.mtime_ns);
    st.st_atim = ToTimespec(a.atime_ns);
    st.st_ctim = ToTimespec(a.ctime_ns);
    return st;
  }

  fuse_entry_param EntryOf(const gateway::Attributes& a) const {
    fuse_entry_param e;
    std::memset(&e, 0, sizeof e);
    e.ino = a.ino;
    e.generation = a.generation;
    e.attr = StatOf(a);
    e.attr_timeout = e.entry_timeout = options.attr_timeout_s;
    return e;
  }

  static void Fail(fuse_req_t req, const char* op, const Status& st) {
    const int err = gateway::ErrnoOf(st);
    if (err != ENOENT && err != EEXIST && err != ENOTEMPTY) {
      spdlog::warn("{}: {}", op, st.ToString());
    }
    fuse_reply_err(req, err);
  }

  template <typename T>
  static void ReplyEntry(fuse_req_t req, const char* op, const Result<T>& r) {
    if (!r.ok()) return Fail(req, op, r.status());
    fuse_entry_param e = Of(req).EntryOf(*r);
    fuse_reply_entry(req, &e);
  }

  static void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    ReplyEntry(req, "lookup", Of(req).gw.Lookup(parent, name));
  }

  static void Forget(fuse_req_t req, fuse_ino_t, uint64_t) { fuse_reply_none(req); }
  static void ForgetMulti(fuse_req_t req, size_t, fuse_forget_data*) { fuse_reply_none(req); }

  static void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    Impl& m = Of(req);
    auto a = m.gw.GetAttributes(ino);
    if (!a.ok()) return Fail(req, "getattr", a.status());
    struct stat st = m.StatOf(*a);
    fuse_reply_attr(req, &st, m.options.attr_timeout_s);
  }

  static void SetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
                      fuse_file_info*) {
    Impl& m = Of(req);
    gateway::SetAttributes c;
    if (to_set & FUSE_SET_ATTR_MODE) c.mode = attr->st_mode & 07777;
    if (to_set & FUSE_SET_ATTR_UID) c.uid = attr->st_uid;
    if (to_set & FUSE_SET_ATTR_GID) c.gid = attr->st_gid;
    if (to_set & FUSE_SET_ATTR_SIZE) c.size = static_cast<uint64_t>(attr->st_size);
    if (to_set & FUSE_SET_ATTR_ATIME_NOW)
      c.atime_ns = NowNs();
    else if (to_set & FUSE_SET_ATTR_ATIME)
      c.atime_ns = FromTimespec(attr->st_atim);
    if (to_set & FUSE_SET_ATTR_MTIME_NOW)
      c.mtime_ns = NowNs();
    else if (to_set & FUSE_SET_ATTR_MTIME)
      c.mtime_ns = FromTimespec(attr->st_mtim);
    auto a = m.gw.SetAttributesOf(ino, c);
    if (!a.ok()) return Fail(req, "setattr", a.status());
    struct stat st = m.StatOf(*a);
    fuse_reply_attr(req, &st, m.options.attr_timeout_s);
  }

  static void ReadLink(fuse_req_t req, fuse_ino_t ino) {
    auto target = Of(req).gw.ReadLink(ino);
    if (!target.ok()) return Fail(req, "readlink", target.status());
    fuse_reply_readlink(req, target->c_str());
  }

  static void MkNod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t) {
    if (!S_ISREG(mode)) return (void)fuse_reply_err(req, EPERM);
    const fuse_ctx* ctx = fuse_req_ctx(req);
    ReplyEntry(req, "mknod", Of(req).gw.CreateFile(parent, name, mode, ctx->uid, ctx->gid));
  }

  static void MkDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
    const fuse_ctx* ctx = fuse_req_ctx(req);
    ReplyEntry(req, "mkdir", Of(req).gw.MakeDirectory(parent, name, mode, ctx->uid, ctx->gid));
  }

  static void Symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
    const fuse_ctx* ctx = fuse_req_ctx(req);
    ReplyEntry(req, "symlink", Of(req).gw.MakeSymlink(parent, name, target, ctx->uid, ctx->gid));
  }

  static void Unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
    Status st = Of(req).gw.Unlink(parent, name);
    if (!st.ok()) return Fail(req, "unlink", st);
    fuse_reply_err(req, 0);
  }

  static void RmDir(fuse_req_t req, fuse_ino_t parent, const char* name) {
    Status st = Of(req).gw.RemoveDirectory(parent, name);
    if (!st.ok()) return Fail(req, "rmdir", st);
    fuse_reply_err(req, 0);
  }

  static void Rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
                     const char* newname, unsigned int flags) {
    if (flags & ~static_cast<unsigned>(RENAME_NOREPLACE)) {
      return (void)fuse_reply_err(req, EINVAL);  // RENAME_EXCHANGE, RENAME_WHITEOUT
    }
    Status st =
        Of(req).gw.Rename(parent, name, newparent, newname, (flags & RENAME_NOREPLACE) != 0);
    if (!st.ok()) return Fail(req, "rename", st);
    fuse_reply_err(req, 0);
  }

  static void Link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) {
    fuse_reply_err(req, EPERM);  // one object per file: no hard links
  }

  static void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    Impl& m = Of(req);
    const bool write = (fi->flags & O_ACCMODE) != O_RDONLY;
    auto h = m.gw.OpenFile(ino, write);
    if (!h.ok()) return Fail(req, "open", h.status());
    if (write && (fi->flags & O_TRUNC)) {
      auto cut = m.gw.SetAttributesOf(ino, {.size = 0});
      if (!cut.ok()) {
        m.gw.Release(*h);
        return Fail(req, "open", cut.status());
      }
    }
    fi->fh = *h;
    fi->keep_cache = 0;
    fuse_reply_open(req, fi);
  }

  static void Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
                     fuse_file_info* fi) {
    Impl& m = Of(req);
    const fuse_ctx* ctx = fuse_req_ctx(req);
    auto made = m.gw.CreateAndOpenFile(parent, name, mode, ctx->uid, ctx->gid);
    if (!made.ok()) return Fail(req, "create", made.status());
    fi->fh = made->second;
    fuse_entry_param e = m.EntryOf(made->first);
    fuse_reply_create(req, &e, fi);
  }

  static void Read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
    std::vector<char> buf(size);
    auto n = Of(req).gw.Read(fi->fh, static_cast<uint64_t>(off), std::span<char>(buf));
    if (!n.ok()) return Fail(req, "read", n.status());
    fuse_reply_buf(req, buf.data(), *n);
  }

  static void Write(fuse_req_t req, fuse_ino_t, const char* data, size_t size, off_t off,
                    fuse_file_info* fi) {
    auto n =
        Of(req).gw.Write(fi->fh, static_cast<uint64_t>(off), std::span<const char>(data, size));
    if (!n.ok()) return Fail(req, "write", n.status());
    fuse_reply_write(req, *n);
  }

  static void Flush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    Status st = Of(req).gw.Flush(fi->fh);
    if (!st.ok()) return Fail(req, "flush", st);
    fuse_reply_err(req, 0);
  }

  static void Release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    Of(req).gw.Release(fi->fh);
    fuse_reply_err(req, 0);
  }

  static void Fsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info* fi) {
    Status st = Of(req).gw.Fsync(fi->fh);
    if (!st.ok()) return Fail(req, "fsync", st);
    fuse_reply_err(req, 0);
  }

  static void OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    auto entries = Of(req).gw.ReadDirectory(ino);
    if (!entries.ok()) return Fail(req, "opendir", entries.status());
    auto dir = std::make_unique<OpenDirectory>();
    dir->entries = std::move(entries).value();
    fi->fh = reinterpret_cast<uint64_t>(dir.release());
    fuse_reply_open(req, fi);
  }

  static void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
    auto* dir = reinterpret_cast<OpenDirectory*>(fi->fh);
    std::vector<char> buf(size);
    size_t used = 0;
    // Offsets: 1 after ".", 2 after "..", 3 + i after entry i. Entries carry their real inode
    // numbers: an NFS server reconnecting a handle finds a name by its number here.
    for (off_t i = off; i < static_cast<off_t>(dir->entries.size()) + 2; ++i) {
      struct stat st;
      std::memset(&st, 0, sizeof st);
      std::string name;
      if (i < 2) {
        name = i == 0 ? "." : "..";
        st.st_ino = ino;
        st.st_mode = S_IFDIR;
      } else {
        const auto& e = dir->entries[static_cast<size_t>(i - 2)];
        name = e.name;
        st.st_ino = e.attributes.ino;
        st.st_mode = e.attributes.mode;
      }
      const size_t need = fuse_add_direntry(req, nullptr, 0, name.c_str(), nullptr, 0);
      if (need > size - used) break;
      used += fuse_add_direntry(req, buf.data() + used, size - used, name.c_str(), &st, i + 1);
    }
    fuse_reply_buf(req, buf.data(), used);
  }

  static void ReleaseDir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    delete reinterpret_cast<OpenDirectory*>(fi->fh);
    fuse_reply_err(req, 0);
  }

  static void FsyncDir(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) {
    Status st = Of(req).gw.SyncAll();
    if (!st.ok()) return Fail(req, "fsyncdir", st);
    fuse_reply_err(req, 0);
  }

  static void StatFs(fuse_req_t req, fuse_ino_t) {
    struct statvfs st;
    std::memset(&st, 0, sizeof st);
    st.f_bsize = st.f_frsize = 4096;
    st.f_blocks = st.f_bfree = st.f_bavail = uint64_t{1} << 40;
    st.f_files = st.f_ffree = uint64_t{1} << 32;
    st.f_namemax = 255;
    fuse_reply_statfs(req, &st);
  }

  // No extended attributes: ENOSYS makes the kernel stop asking (a GETXATTR of
  // security.capability otherwise precedes every write).
  static void GetXattr(fuse_req_t req, fuse_ino_t, const char*, size_t) {
    fuse_reply_err(req, ENOSYS);
  }
  static void SetXattr(fuse_req_t req, fuse_ino_t, const char*, const char*, size_t, int) {
    fuse_reply_err(req, ENOSYS);
  }
  static void ListXattr(fuse_req_t req, fuse_ino_t, size_t) { fuse_reply_err(req, ENOSYS); }
  static void RemoveXattr(fuse_req_t req, fuse_ino_t, const char*) { fuse_reply_err(req, ENOSYS); }
};

GatewayMount::GatewayMount(gateway::Gateway& gateway, GatewayMountOptions options)
    : impl_(new Impl{gateway, std::move(options)}) {}

GatewayMount::~GatewayMount() {
  if (impl_->session) {
    if (impl_->mounted) fuse_session_unmount(impl_->session);
    if (impl_->options.stop_on_signals) fuse_remove_signal_handlers(impl_->session);
    fuse_session_destroy(impl_->session);
  }
}

Status GatewayMount::Mount() {
  static const fuse_lowlevel_ops ops = [] {
    fuse_lowlevel_ops o;
    std::memset(&o, 0, sizeof o);
    o.init = Impl::Init;
    o.destroy = Impl::Destroy;
    o.lookup = Impl::Lookup;
    o.forget = Impl::Forget;
    o.forget_multi = Impl::ForgetMulti;
    o.getattr = Impl::GetAttr;
    o.setattr = Impl::SetAttr;
    o.readlink = Impl::ReadLink;
    o.mknod = Impl::MkNod;
    o.mkdir = Impl::MkDir;
    o.symlink = Impl::Symlink;
    o.unlink = Impl::Unlink;
    o.rmdir = Impl::RmDir;
    o.rename = Impl::Rename;
    o.link = Impl::Link;
    o.open = Impl::Open;
    o.create = Impl::Create;
    o.read = Impl::Read;
    o.write = Impl::Write;
    o.flush = Impl::Flush;
    o.release = Impl::Release;
    o.fsync = Impl::Fsync;
    o.opendir = Impl::OpenDir;
    o.readdir = Impl::ReadDir;
    o.releasedir = Impl::ReleaseDir;
    o.fsyncdir = Impl::FsyncDir;
    o.statfs = Impl::StatFs;
    o.getxattr = Impl::GetXattr;
    o.setxattr = Impl::SetXattr;
    o.listxattr = Impl::ListXattr;
    o.removexattr = Impl::RemoveXattr;
    return o;
  }();
  std::string opts = "default_permissions,fsname=ferry-gateway,subtype=ferry";
  if (impl_->options.allow_other) opts += ",allow_other";
  FERRY_ASSIGN_OR_RETURN(impl_->session,
                         MountSession(ops, impl_.get(), opts, impl_->options.mountpoint,
                                      impl_->options.stop_on_signals));
  impl_->mounted = true;
  return Status::OK();
}

Status GatewayMount::Run() {
  if (!impl_->mounted) return Status::Internal("FUSE: not mounted");
  return ServeSession(impl_->session, impl_->options.max_threads);
}

bool GatewayMount::unmounted() const {
  return impl_->ended;
}

void GatewayMount::Unmount(std::chrono::milliseconds timeout) {
  if (!impl_->mounted) return;
  // The device is learnt while the session serves (a stat of the mount point asks it).
  struct stat st;
  if (impl_->device == 0 && ::stat(impl_->options.mountpoint.c_str(), &st) == 0) {
    impl_->device = st.st_dev;
  }
  // Detach the mount, but leave the session's descriptor open: closing it under the threads
  // that read it would fail their reads (EBADF) or, worse, hand them a reused descriptor. The
  // kernel ends the connection once nothing uses the mount any more, and the loop returns;
  // the destructor then closes the descriptor.
  if (::umount2(impl_->options.mountpoint.c_str(), MNT_DETACH) != 0) {
    auto p = ChildProcess::Spawn({"fusermount3", "-u", "-q", "-z", impl_->options.mountpoint},
                                 {CurrentEnvironment()});
    if (p.ok()) p->Wait(std::chrono::seconds(10));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!impl_->ended && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (impl_->ended || impl_->device == 0) return;
  // Something still holds a file in the detached mount: end the connection.
  const std::string abort =
      "/sys/fs/fuse/connections/" + std::to_string(minor(impl_->device)) + "/abort";
  if (FILE* f = std::fopen(abort.c_str(), "w")) {
    std::fputs("1", f);
    std::fclose(f);
  }
  impl_->ended = true;
  fuse_session_exit(impl_->session);
}

}  // namespace ferry::fuse
