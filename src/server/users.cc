#include "server/users.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace ferry::server {
namespace {

bool ValidUserId(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '@';
  });
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

Result<std::vector<User>> ReadUsers(const std::string& path, struct stat* seen) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read the users file " + path);
  if (::stat(path.c_str(), seen) != 0) *seen = {};
  std::stringstream text;
  text << in.rdbuf();
  return ParseUsersFile(text.str(), path);
}

}  // namespace

Result<std::vector<User>> ParseUsersFile(std::string_view text, std::string_view file_name) {
  std::vector<User> users;
  std::set<std::string, std::less<>> keys;
  std::istringstream lines{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    auto fail = [&](const std::string& why) {
      return Status::InvalidArgument(std::string(file_name) + " line " + std::to_string(number) +
                                     ": " + why);
    };
    std::istringstream words(line);
    User u;
    if (!(words >> u.access_key) || u.access_key.starts_with('#')) continue;
    if (!(words >> u.secret_key >> u.id)) {
      return fail("expected ACCESS_KEY SECRET_KEY USER_ID [DISPLAY NAME]");
    }
    if (!ValidUserId(u.id)) {
      return fail("the user id '" + u.id + "' may hold letters, digits and -_.@ only");
    }
    std::getline(words >> std::ws, u.display_name);
    if (u.display_name.empty()) u.display_name = u.id;
    if (!keys.insert(u.access_key).second) {
      return fail("the access key " + u.access_key + " is given twice");
    }
    users.push_back(std::move(u));
  }
  return users;
}

UserDirectory::UserDirectory(User server, std::string file)
    : server_(std::move(server)), file_(std::move(file)) {}

Status UserDirectory::Load() {
  if (file_.empty()) return Status::OK();
  struct stat seen {};
  FERRY_ASSIGN_OR_RETURN(std::vector<User> users, ReadUsers(file_, &seen));
  std::lock_guard lock(mu_);
  users_ = std::move(users);
  seen_ = seen;
  return Status::OK();
}

void UserDirectory::Watch(std::chrono::nanoseconds interval) {
  if (file_.empty()) return;
  watcher_.Start(interval, [this] { ReloadIfChanged(); });
}

void UserDirectory::ReloadIfChanged() {
  struct stat now {};
  const bool readable = ::stat(file_.c_str(), &now) == 0;
  {
    std::lock_guard lock(mu_);
    if (readable && SameFile(now, seen_)) return;
    if (!readable && seen_.st_ino == 0) return;  // already reported
    if (!readable) seen_ = {};
  }
  if (!readable) {
    spdlog::warn("users: {} cannot be read; the last users read stay", file_);
    return;
  }
  struct stat seen {};
  auto users = ReadUsers(file_, &seen);
  std::lock_guard lock(mu_);
  seen_ = seen;
  if (!users.ok()) {
    spdlog::warn("users: {}; the last users read stay", users.status().message());
    return;
  }
  users_ = std::move(users).value();
  spdlog::info("users: {} read again ({} users)", file_, users_.size());
}

std::optional<User> UserDirectory::Find(std::string User::*field, std::string_view value) const {
  if (server_.*field == value) return server_;
  std::lock_guard lock(mu_);
  for (const User& u : users_) {
    if (u.*field == value) return u;
  }
  return std::nullopt;
}

}  // namespace ferry::server
