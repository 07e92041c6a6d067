#include "cli/background.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "cli/output.h"

namespace ferry::cli {

int RunInBackground(const char* command, const std::function<Status(const ReadyReporter&)>& work) {
  int fds[2];
  // Close-on-exec: the servers the work starts must not hold the report open.
  if (::pipe2(fds, O_CLOEXEC) != 0) return Fail(command, Status::FromErrno("pipe", errno));
  pid_t pid = ::fork();
  if (pid < 0) return Fail(command, Status::FromErrno("fork", errno));
  if (pid > 0) {
    ::close(fds[1]);
    std::string message;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) message.append(buf, n);
    ::close(fds[0]);
    if (message == "ok") return kExitOk;
    std::fprintf(stderr, "ferry %s: %s\n", command,
                 message.empty() ? "the process ended early" : message.c_str());
    return kExitFailed;
  }
  ::close(fds[0]);
  ::setsid();
  bool reported = false;
  auto report = [&](const Status& st) {
    std::string text = st.ok() ? "ok" : Describe(st);
    (void)!::write(fds[1], text.data(), text.size());
    ::close(fds[1]);
    reported = true;
    if (st.ok()) {
      // Detach from the terminal; log lines go nowhere from here on.
      int null = ::open("/dev/null", O_RDWR);
      if (null >= 0) {
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
        ::close(null);
      }
      (void)!::chdir("/");
    }
  };
  Status st = work(report);
  if (!reported) report(st);
  ::_exit(st.ok() ? kExitOk : kExitFailed);
}

}  // namespace ferry::cli
