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

namespace ferry::fs {
namespace {

constexpr size_t kMaxRequestBytes = 1 << 20;

Result<sockaddr_un> AddressOf(const std::string& path) {
  sockaddr_un addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Status::InvalidArgument(path + ": too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// Reads until a newline or EOF (at most kMaxRequestBytes).
std::string ReadLine(int fd) {
  std::string line;
  char buf[4096];
  while (line.size() < kMaxRequestBytes) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
    if (line.find('\n') != std::string::npos) break;
  }
  if (auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
  return line;
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

Result<nlohmann::json> AskMount(const std::string& mount_root, const nlohmann::json& request) {
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
  std::string answer = ReadLine(fd);
  ::close(fd);
  auto json = nlohmann::json::parse(answer, nullptr, false);
  if (json.is_discarded()) return Status::Unavailable(mount_root + ": the mount did not answer");
  if (json.contains("error")) return Status::IOError(json["error"].get<std::string>());
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
    auto request = nlohmann::json::parse(ReadLine(client), nullptr, false);
    nlohmann::json answer =
        request.is_discarded() ? nlohmann::json{{"error", "bad request"}} : handler_(request);
    WriteAll(client, answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    ::close(client);
  }
}

}  // namespace ferry::fs
