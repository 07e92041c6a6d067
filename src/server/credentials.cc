#include "server/credentials.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace ferry::server {
namespace {

std::string RandomString(size_t n, std::string_view alphabet) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    return {};
  }
  std::string out;
  for (unsigned char b : bytes) out.push_back(alphabet[b % alphabet.size()]);
  return out;
}

Status WriteFile0600(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(tmp, errno);
  ::fchmod(fd, 0600);
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
            ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) return Status::FromErrno(tmp, err);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Status::FromErrno(path, errno);
  return Status::OK();
}

}  // namespace

Result<s3::Credentials> LoadOrCreateCredentials(const std::string& root,
                                                const std::optional<s3::Credentials>& given,
                                                bool* created) {
  *created = false;
  std::string dir = root + "/.ferry";
  std::error_code ec;
  if (std::filesystem::create_directories(dir, ec)) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  }
  if (ec) return Status::IOError(dir + ": " + ec.message());
  std::string path = dir + "/credentials.json";
  if (!given) {
    std::ifstream in(path);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      auto json = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
      if (json.is_discarded() || !json.contains("access_key_id") ||
          !json.contains("secret_access_key")) {
        return Status::Corruption(path + ": not a credentials file");
      }
      s3::Credentials creds;
      creds.access_key_id = json["access_key_id"].get<std::string>();
      creds.secret_access_key = json["secret_access_key"].get<std::string>();
      return creds;
    }
  }
  s3::Credentials creds;
  if (given) {
    creds = *given;
  } else {
    creds.access_key_id = "FERRY" + RandomString(15, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    creds.secret_access_key =
        RandomString(40, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/");
    if (creds.secret_access_key.empty()) return Status::Internal("no random bytes available");
    *created = true;
  }
  nlohmann::json json{{"access_key_id", creds.access_key_id},
                      {"secret_access_key", creds.secret_access_key}};
  FERRY_RETURN_IF_ERROR(WriteFile0600(path, json.dump(2) + "\n"));
  return creds;
}

}  // namespace ferry::server
