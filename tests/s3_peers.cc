#include "s3_peers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "core/clock.h"
#include "localstore/local_store.h"
#include "server/s3_server.h"

namespace ferry::testing {
namespace {

constexpr char kS3rverVersion[] = "3.7.1";

bool CanConnect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

class FerryPeer final : public Peer {
 public:
  Status Start() {
    LocalStoreOptions options;
    options.fsync = false;
    FERRY_ASSIGN_OR_RETURN(store_, LocalStore::Open(dir_.path(), SystemClock(), options));
    server::S3ServerOptions so;
    so.http.host = "127.0.0.1";
    so.http.port = 0;
    so.credentials = {credentials()};
    FERRY_ASSIGN_OR_RETURN(server_, server::S3Server::Start(so, *store_));
    return Status::OK();
  }
  ~FerryPeer() override {
    if (server_) server_->Stop();
    server_.reset();
    store_.reset();
  }
  std::string name() const override { return "ferry"; }
  uint16_t port() const override { return server_->port(); }
  s3::Credentials credentials() const override { return {"FERRYTESTKEY", "ferry/test+secret", ""}; }
  PeerTraits traits() const override { return {}; }

 private:
  ScratchDir dir_;
  std::unique_ptr<LocalStore> store_;
  std::unique_ptr<server::S3Server> server_;
};

class S3rverPeer final : public Peer {
 public:
  Status Start() {
    const char* home = std::getenv("HOME");
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    std::string cache = xdg && *xdg ? xdg : std::string(home ? home : "/tmp") + "/.cache";
    // The same install directory as bench/server_bench.py: installed once, shared.
    std::string install = cache + "/ferry-bench/s3rver-" + kS3rverVersion;
    std::string script = install + "/node_modules/s3rver/bin/s3rver.js";
    if (!std::filesystem::exists(script)) {
      if (std::system("command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1") != 0) {
        return Status::NotFound("node/npm not installed");
      }
      std::filesystem::create_directories(install);
      std::string cmd = "cd '" + install +
                        "' && npm init -y >/dev/null && npm install --silent s3rver@" +
                        kS3rverVersion + " >/dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0 || !std::filesystem::exists(script)) {
        return Status::NotFound("could not install s3rver with npm");
      }
    }
    std::string data = dir_.path() + "/data";
    std::filesystem::create_directories(data);
    std::string log = dir_.path() + "/s3rver.log";
    port_ = FreePort();
    pid_ = ::fork();
    if (pid_ < 0) return Status::FromErrno("fork", errno);
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::string port = std::to_string(port_);
      ::execlp("node", "node", script.c_str(), "-d", data.c_str(), "-a", "127.0.0.1", "-p",
               port.c_str(), "-s", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (CanConnect(port_)) return Status::OK();
      int wstatus = 0;
      if (::waitpid(pid_, &wstatus, WNOHANG) == pid_) {
        pid_ = -1;
        return Status::NotFound("s3rver exited at start; see " + log);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return Status::Unavailable("s3rver did not start listening within 10 s");
  }
  ~S3rverPeer() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int wstatus = 0;
      ::waitpid(pid_, &wstatus, 0);
    }
  }
  std::string name() const override { return "s3rver"; }
  uint16_t port() const override { return port_; }
  s3::Credentials credentials() const override { return {"S3RVER", "S3RVER", ""}; }
  PeerTraits traits() const override {
    PeerTraits t;
    t.checksums = false;
    t.multipart_admin = false;
    t.upload_part_copy = false;
    t.conditional_get = false;
    t.url_encoded_copy_source = false;  // decodeURI leaves %2B, %23, %3F, ... encoded
    t.multipart_etag_suffix = false;    // a multipart object's ETag is the MD5 of its body
    t.odd_path_segments = false;        // stores keys as file paths
    t.verifies_signatures = false;      // "Signature version 4 calculation is unimplemented"
    t.list_objects_version = 1;         // truncated V2 listings need DES: 500 on OpenSSL 3
    return t;
  }

 private:
  ScratchDir dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace

ScratchDir::ScratchDir() {
  char tmpl[] = "/tmp/ferry_s3store_XXXXXX";
  path_ = ::mkdtemp(tmpl);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

Result<std::unique_ptr<Peer>> StartFerryPeer() {
  auto peer = std::make_unique<FerryPeer>();
  FERRY_RETURN_IF_ERROR(peer->Start());
  return std::unique_ptr<Peer>(std::move(peer));
}

Result<std::unique_ptr<Peer>> StartS3rverPeer() {
  auto peer = std::make_unique<S3rverPeer>();
  FERRY_RETURN_IF_ERROR(peer->Start());
  return std::unique_ptr<Peer>(std::move(peer));
}

}  // namespace ferry::testing
