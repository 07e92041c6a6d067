#include "gateway/exports.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <thread>

namespace ferry::gateway {
namespace {

bool Accepts(const std::string& host, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return false;
  }
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IOError(path + ": cannot write");
  return Status::OK();
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > 2000) text = text.substr(text.size() - 2000);
  return text;
}

// Waits until the server accepts connections on host:port, or has ended.
Status AwaitListening(ChildProcess& child, const std::string& what, const std::string& host,
                      int port, const std::string& log) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!Accepts(host, port)) {
    if (auto ended = child.Wait(std::chrono::milliseconds(0))) {
      return Status::Unavailable(what + " ended (" + DescribeWaitStatus(*ended) +
                                 "): " + Tail(log));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      child.Stop(std::chrono::seconds(2));
      return Status::Unavailable(what + " did not listen on " + host + ":" + std::to_string(port) +
                                 " within 30 s; see " + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::OK();
}

}  // namespace

Status CheckShareName(const std::string& share) {
  if (share.empty() || share.size() > 80) {
    return Status::InvalidArgument("the share name must have 1 to 80 characters");
  }
  for (char c : share) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidArgument("share name '" + share +
                                     "': only letters, digits, '.', '_' and '-' are allowed");
    }
  }
  return Status::OK();
}

Result<std::unique_ptr<ExportServer>> ExportServer::StartSmb(const SmbExportOptions& o) {
  FERRY_RETURN_IF_ERROR(CheckShareName(o.share));
  const std::string smbd = o.smbd;
  if (::access(smbd.c_str(), X_OK) != 0) {
    return Status::NotFound(
        "smbd is not installed: the SMB export needs Debian's samba package "
        "(apt-get install samba)");
  }
  const std::string& d = o.state_dir;
  for (const char* sub : {"lock", "state", "cache", "private", "pid", "log", "ncalrpc"}) {
    std::error_code ec;
    std::filesystem::create_directories(d + "/" + sub, ec);
    if (ec) return Status::FromErrno(d + "/" + sub, ec.value());
  }
  // Guests are the gateway's user; extended attributes, DOS attributes and ACLs are not kept
  // (the bucket has no place for them). An SMB flush, a write-through write and a close become
  // an fsync or a close, which the gateway answers by making the data durable in its cache;
  // other writes are durable once the client flushes or closes, as on a local disk (fsyncing
  // every write also made a file open in smbd ready for upload after its first write).
  const std::string conf =
      "[global]\n"
      "  server role = standalone server\n"
      "  map to guest = Bad User\n"
      "  guest account = " +
      o.user +
      "\n"
      "  smb ports = " +
      std::to_string(o.port) +
      "\n"
      "  interfaces = " +
      o.host +
      "\n"
      "  bind interfaces only = yes\n"
      "  disable netbios = yes\n"
      "  lock directory = " +
      d +
      "/lock\n"
      "  state directory = " +
      d +
      "/state\n"
      "  cache directory = " +
      d +
      "/cache\n"
      "  private dir = " +
      d +
      "/private\n"
      "  pid directory = " +
      d +
      "/pid\n"
      "  ncalrpc dir = " +
      d +
      "/ncalrpc\n"
      "  log file = " +
      d +
      "/log/smbd.log\n"
      "  load printers = no\n"
      "  printing = bsd\n"
      "  printcap name = /dev/null\n"
      "  disable spoolss = yes\n"
      "[" +
      o.share +
      "]\n"
      "  path = " +
      o.path +
      "\n"
      "  read only = no\n"
      "  guest ok = yes\n"
      "  force user = " +
      o.user +
      "\n"
      "  strict sync = yes\n"

      "  ea support = no\n"
      "  store dos attributes = no\n"
      "  map archive = no\n"
      "  map hidden = no\n"
      "  map system = no\n"
      "  map readonly = no\n"
      "  nt acl support = no\n"
      "  kernel oplocks = no\n"
      "  kernel share modes = no\n"
      "  posix locking = no\n";
  FERRY_RETURN_IF_ERROR(WriteFile(d + "/smb.conf", conf));
  const std::string log = d + "/smbd.out";
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) return Status::FromErrno(log, errno);
  ChildProcess::Options spawn;
  spawn.environment = CurrentEnvironment();
  spawn.death_signal = SIGTERM;
  spawn.own_process_group = true;  // smbd signals its process group when it ends
  spawn.stdout_fd = spawn.stderr_fd = out;
  auto child = ChildProcess::Spawn(
      {smbd, "--foreground", "--no-process-group", "--configfile=" + d + "/smb.conf"}, spawn);
  ::close(out);
  FERRY_RETURN_IF_ERROR(child.status());
  FERRY_RETURN_IF_ERROR(AwaitListening(*child, "smbd", o.host, o.port, log));
  return std::unique_ptr<ExportServer>(new ExportServer("smbd", std::move(child).value(), log));
}

Result<std::unique_ptr<ExportServer>> ExportServer::StartNfs(const NfsExportOptions& o) {
  const std::string ganesha = o.ganesha;
  if (::access(ganesha.c_str(), X_OK) != 0) {
    return Status::NotFound(
        "ganesha.nfsd is not installed: the NFS export needs Debian's "
        "nfs-ganesha and nfs-ganesha-vfs packages");
  }
  bool have_vfs = false;
  for (const std::string& dir : o.fsal_dirs) {
    have_vfs = have_vfs || ::access((dir + "/libfsalvfs.so").c_str(), R_OK) == 0;
  }
  if (!have_vfs) {
    return Status::NotFound(
        "nfs-ganesha's VFS backend is not installed: the NFS export needs "
        "Debian's nfs-ganesha-vfs package");
  }
  const std::string& d = o.state_dir;
  std::error_code ec;
  std::filesystem::create_directories(d + "/recovery", ec);
  if (ec) return Status::FromErrno(d + "/recovery", ec.value());
  // NFSv4 only (v3 needs the system's rpcbind); no grace period (the gateway keeps no NFS
  // locks); attributes re-read after a second, so a refresh shows soon.
  const std::string conf =
      "NFS_CORE_PARAM { NFS_Port = " + std::to_string(o.port) +
      "; Protocols = 4; Enable_NLM = false; Enable_RQUOTA = false; Enable_UDP = false; "
      "Bind_addr = " +
      o.host +
      "; }\n"
      "NFSV4 { Graceless = true; RecoveryBackend = fs; RecoveryRoot = \"" +
      d +
      "/recovery\"; Only_Numeric_Owners = true; }\n"
      "NFS_KRB5 { Active_krb5 = false; }\n"
      "EXPORT { Export_Id = 1; Path = \"" +
      o.path + "\"; Pseudo = \"" + o.pseudo +
      "\"; Access_Type = RW; Squash = No_Root_Squash; Protocols = 4; SecType = sys; "
      "Attr_Expiration_Time = 1; FSAL { Name = VFS; } }\n"
      "LOG { Default_Log_Level = WARN; }\n";
  FERRY_RETURN_IF_ERROR(WriteFile(d + "/ganesha.conf", conf));
  const std::string log = d + "/ganesha.log";
  ChildProcess::Options spawn;
  spawn.environment = CurrentEnvironment();
  spawn.death_signal = SIGTERM;
  spawn.own_process_group = true;  // smbd signals its process group when it ends
  const int out =
      ::open((d + "/ganesha.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) return Status::FromErrno(d + "/ganesha.out", errno);
  spawn.stdout_fd = spawn.stderr_fd = out;
  auto child = ChildProcess::Spawn(
      {ganesha, "-F", "-f", d + "/ganesha.conf", "-L", log, "-p", d + "/ganesha.pid"}, spawn);
  ::close(out);
  FERRY_RETURN_IF_ERROR(child.status());
  FERRY_RETURN_IF_ERROR(AwaitListening(*child, "nfs-ganesha", o.host, o.port, log));
  return std::unique_ptr<ExportServer>(
      new ExportServer("nfs-ganesha", std::move(child).value(), log));
}

void ExportServer::Stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  child_.Stop(grace);
}

ExportServer::~ExportServer() {
  Stop();
}

}  // namespace ferry::gateway
