// libferry_isatty.so: preloaded into the commands `ferry train` runs on Fast File channels.
//
// isatty() asks the kernel with an ioctl (TCGETS). On a FUSE file the kernel cannot answer
// that itself: every ioctl is a round trip to the mount's process, and ENOTTY is not
// remembered. Python before 3.14 calls isatty() in every open() (to choose line buffering),
// so a data loader reading many small files from a mount pays one round trip per file even
// when every byte is in the page cache: ~40 µs each here, a third of a warm epoch.
//
// A regular file is never a terminal on any file system, and fstat() of a mounted file is
// answered from the kernel's attribute cache. So a regular file gets the answer isatty()
// would give (0, errno ENOTTY) without the ioctl; anything else goes to the C library's
// isatty(). Only the C library is used here: the library loads into any program.
#include <dlfcn.h>
#include <errno.h>
#include <sys/stat.h>

namespace {

using IsattyFn = int (*)(int);

}  // namespace

extern "C" __attribute__((visibility("default"))) int isatty(int fd) {
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    errno = ENOTTY;
    return 0;
  }
  // Looked up per call rather than kept: terminals are rare, and nothing is left to share.
  auto next = reinterpret_cast<IsattyFn>(dlsym(RTLD_NEXT, "isatty"));
  if (next == nullptr) {
    errno = ENOTTY;
    return 0;
  }
  return next(fd);
}
