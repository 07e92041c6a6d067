// The Unix socket through which `ferry cache` talks to a running mount: one JSON request line
// per connection, answered with one JSON line. The socket lives at a path derived from the
// mount's root directory, so a client holding any path inside the mount can find it. A long
// request may send {"progress": {...}} lines before its answer.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "core/thread_pool.h"
#include "ferry/result.h"

namespace ferry::fs {

// "/tmp/ferry-UID/HASH.sock" for the mount whose root is mount_root (absolute, normalised).
std::string ControlSocketPath(const std::string& mount_root);

// Sends one request to the mount whose root is mount_root and returns its answer as sent (a
// failure answer included: the caller decodes it, see cache_messages.h); progress lines the
// mount sends before it go to on_progress.
Result<nlohmann::json> AskMount(
    const std::string& mount_root, const nlohmann::json& request,
    const std::function<void(const nlohmann::json&)>& on_progress = nullptr);

class ControlServer {
 public:
  using Progress = std::function<void(const nlohmann::json&)>;
  using Handler = std::function<nlohmann::json(const nlohmann::json& request, const Progress&)>;
  // Listens at ControlSocketPath(mount_root) (replacing a stale socket) on its own thread.
  static Result<std::unique_ptr<ControlServer>> Start(const std::string& mount_root,
                                                      Handler handler);
  ~ControlServer();  // stops listening, joins the thread, removes the socket
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

 private:
  ControlServer(int listen_fd, int stop_read, int stop_write, std::string path, Handler handler);
  static constexpr size_t kConnectionThreads = 4;
  void Serve();
  void Answer(int client);  // reads the request, sends progress and the answer, closes

  const int listen_fd_;
  const int stop_read_;  // readable once the server is asked to stop
  const int stop_write_;
  const std::string path_;
  const Handler handler_;
  ThreadPool connections_;  // answers requests; joined before the listening socket closes
  std::thread thread_;      // last: started when the rest is ready
};

}  // namespace ferry::fs
