// Users of `ferry serve`: each has an id, a display name and an access key. The server's own
// key (ROOT/.ferry/credentials.json) is the user "ferry", who owns the buckets made before
// owners were recorded; `--users FILE` adds others, one per line:
//
//   # ACCESS_KEY  SECRET_KEY  USER_ID  [DISPLAY NAME]
//   AKIALABELS    s3cr3t...   labels   Labelling team
//
// The file is read at start (a bad line stops the start, naming it) and again whenever it
// changes; a version that cannot be read or parsed is logged and the last good set kept.
// Thread-safe.
#pragma once

#include <sys/stat.h>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/periodic_thread.h"
#include "ferry/result.h"

namespace ferry::server {

inline constexpr std::string_view kServerUserId = "ferry";

struct User {
  std::string id;
  std::string display_name;
  std::string access_key;
  std::string secret_key;
};

// The users a file's text names. InvalidArgument naming the line for a line without three
// fields, an access key given twice, or a user id with characters other than letters, digits
// and "-_.@".
Result<std::vector<User>> ParseUsersFile(std::string_view text, std::string_view file_name);

class UserDirectory {
 public:
  // server: the server's own user (kServerUserId). file: empty for none.
  UserDirectory(User server, std::string file);
  UserDirectory(const UserDirectory&) = delete;
  UserDirectory& operator=(const UserDirectory&) = delete;

  // Reads the file (if any); its error stops the server's start.
  Status Load();
  // Reads it again every interval when it changed (its size, time or inode).
  void Watch(std::chrono::nanoseconds interval);

  std::optional<User> ByAccessKey(std::string_view access_key) const {
    return Find(&User::access_key, access_key);
  }
  std::optional<User> ById(std::string_view id) const { return Find(&User::id, id); }

 private:
  // The server user, then the file's, whose field equals value.
  std::optional<User> Find(std::string User::*field, std::string_view value) const;
  void ReloadIfChanged();

  const User server_;
  const std::string file_;
  mutable std::mutex mu_;
  std::vector<User> users_;  // guarded by mu_
  struct stat seen_ {};      // of the file last read; guarded by mu_
  PeriodicThread watcher_;   // last: stopped before the rest goes
};

}  // namespace ferry::server
