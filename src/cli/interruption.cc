#include "cli/interruption.h"

#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace ferry::cli {

Interruption::Interruption(std::string command) : command_(std::move(command)) {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
  watcher_ = std::thread([this] { Watch(); });
}

Interruption::~Interruption() {
  stop_ = true;
  watcher_.join();
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

void Interruption::Watch() {
  const timespec tick{0, 100'000'000};
  while (!stop_) {
    const int sig = sigtimedwait(&signals_, nullptr, &tick);
    if (sig <= 0) continue;
    if (requested_.exchange(true)) {
      std::fprintf(stderr, "\nferry %s: stopped\n", command_.c_str());
      ::_exit(128 + sig);
    }
    signal_ = sig;
    std::fprintf(stderr,
                 "\nferry %s: interrupted; finishing the requests in flight (again to quit "
                 "at once)\n",
                 command_.c_str());
  }
}

}  // namespace ferry::cli
