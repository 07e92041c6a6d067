#include "fs/control_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <utility>

namespace ferry::fs {
namespace {

// A prefetch plan of a million paths fits.
constexpr size_t kMaxRequestBytes = size_t{256} << 20;

Result<sockaddr_un> AddressOf(const std::string& path) {
  sockaddr_un addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Status::InvalidArgument(path + ": too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// Reads one line at a time from a socket (at most kMaxRequestBytes each).
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  // The next line without its newline; the rest of the stream at EOF; nullopt after it.
  std::optional<std::string> Next() {
    size_t searched = 0;
    for (;;) {
      if (auto nl = buffered_.find('\n', searched); nl != std::string::npos) {
        std::string line = buffered_.substr(0, nl);
        buffered_.erase(0, nl + 1);
        return line;
      }
      searched = buffered_.size();
      if (eof_ || buffered_.size() >= kMaxRequestBytes) break;
      char buf[65536];
      ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
        continue;
      }
      buffered_.append(buf, static_cast<size_t>(n));
    }
    if (buffered_.empty()) return std::nullopt;
    return std::exchange(buffered_, std::string());
  }

 private:
  const int fd_;
  std::string buffered_;
  bool eof_ = false;
};

std::string LineOf(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

std::string ControlSocketPath(const std::string& mount_root) {
  char name[64];
  std::snprintf(name, sizeof name, "/tmp/ferry-%u/%016llx.sock", static_cast<unsigned>(::getuid()),
                static_cast<unsigned long long>(XXH64(mount_root.data(), mount_root.size(), 0)));
  return name;
}

Result<nlohmann::json> AskMount(const std::string& mount_root, const nlohmann::json& request,
                                const std::function<void(const nlohmann::json&)>& on_progress) {
  const std::string path = ControlSocketPath(mount_root);
  FERRY_ASSIGN_OR_RETURN(sockaddr_un addr, AddressOf(path));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno("socket", errno);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Status st =
        Status::FromErrno(mount_root + ": no running ferry mount answers at " + path, errno);
    ::close(fd);
    return st;
  }
  WriteAll(fd, request.dump() + "\n");
  ::shutdown(fd, SHUT_WR);
  LineReader lines(fd);
  nlohmann::json json;
  for (;;) {
    auto line = lines.Next();
    json = nlohmann::json::parse(line.value_or(""), nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("progress")) break;
    if (on_progress) on_progress(json["progress"]);
  }
  ::close(fd);
  if (json.is_discarded() || !json.is_object()) {
    return Status::Unavailable(mount_root + ": the mount did not answer");
  }
  return json;
}

Result<std::unique_ptr<ControlServer>> ControlServer::Start(const std::string& mount_root,
                                                            Handler handler) {
  const std::string path = ControlSocketPath(mount_root);
  const std::string dir = path.substr(0, path.rfind('/'));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Status::FromErrno(dir, errno);
  FERRY_ASSIGN_OR_RETURN(sockaddr_un addr, AddressOf(path));
  ::unlink(path.c_str());  // a socket left by a mount that did not end cleanly
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno("socket", errno);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    Status st = Status::FromErrno(path, errno);
    ::close(fd);
    return st;
  }
  int stop[2];
  if (::pipe2(stop, O_CLOEXEC) != 0) {
    ::close(fd);
    return Status::FromErrno("pipe", errno);
  }
  return std::unique_ptr<ControlServer>(
      new ControlServer(fd, stop[0], stop[1], path, std::move(handler)));
}

ControlServer::ControlServer(int listen_fd, int stop_read, int stop_write, std::string path,
                             Handler handler)
    : listen_fd_(listen_fd),
      stop_read_(stop_read),
      stop_write_(stop_write),
      path_(std::move(path)),
      handler_(std::move(handler)),
      connections_(kConnectionThreads),
      thread_([this] { Serve(); }) {}

ControlServer::~ControlServer() {
  (void)!::write(stop_write_, "x", 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(stop_read_);
  ::close(stop_write_);
  ::unlink(path_.c_str());
}

void ControlServer::Serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_read_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    // A long load does not hold up a stats request meanwhile.
    connections_.Submit([this, client] { Answer(client); });
  }
}

void ControlServer::Answer(int client) {
  auto request = nlohmann::json::parse(LineReader(client).Next().value_or(""), nullptr, false);
  std::mutex write_mu;
  auto progress = [&](const nlohmann::json& p) {
    std::lock_guard lock(write_mu);
    WriteAll(client, LineOf({{"progress", p}}));
  };
  nlohmann::json answer = request.is_discarded() || !request.is_object()
                              ? nlohmann::json{{"error", "bad request"}}
                              : handler_(request, progress);
  WriteAll(client, LineOf(answer));
  ::close(client);
}

}  // namespace ferry::fs
