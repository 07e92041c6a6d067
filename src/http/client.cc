#include "http/client.h"

#include <curl/curl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>
#include <vector>

namespace ferry::http {
namespace {

// libcurl wants curl_global_init once per process before any other call. Function-local
// static: initialised once, thread-safely, and never changed after.
void EnsureCurlInitialised() {
  static const bool initialised = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)initialised;
}

struct Transfer {
  const ClientRequest* request;
  ClientResponse* response;
  RateLimiter* limiter;
  uint64_t sent = 0;
  Status sink_status;
  Status read_status;
  bool in_final_headers = true;
};

size_t OnRead(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  const ClientRequest& req = *t->request;
  size_t want = size * nitems;
  uint64_t total = req.body_fd >= 0 ? req.body_length : req.body.size();
  uint64_t left = total - t->sent;
  size_t n = static_cast<size_t>(std::min<uint64_t>(want, left));
  if (n == 0) return 0;
  if (req.body_fd >= 0) {
    ssize_t got = ::pread(req.body_fd, buffer, n, static_cast<off_t>(req.body_offset + t->sent));
    if (got <= 0) {
      t->read_status = got == 0 ? Status::IOError("file shrank while being sent")
                                : Status::FromErrno("reading request body", errno);
      return CURL_READFUNC_ABORT;
    }
    n = static_cast<size_t>(got);
  } else {
    std::memcpy(buffer, req.body.data() + t->sent, n);
  }
  t->sent += n;
  if (t->limiter) t->limiter->Acquire(n);
  return n;
}

int OnSeek(void* userdata, curl_off_t offset, int origin) {
  // curl rewinds the body when it must resend it (e.g. a reused connection died).
  auto* t = static_cast<Transfer*>(userdata);
  if (origin != SEEK_SET) return CURL_SEEKFUNC_CANTSEEK;
  t->sent = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t OnWrite(char* data, size_t size, size_t nmemb, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  size_t n = size * nmemb;
  if (t->limiter) t->limiter->Acquire(n);
  t->response->body_bytes += n;
  bool to_sink = t->request->sink != nullptr;
  if (to_sink && t->request->sink_only_on_success) to_sink = t->response->status / 100 == 2;
  if (to_sink) {
    Status st = (*t->request->sink)(std::string_view(data, n));
    if (!st.ok()) {
      t->sink_status = st;
      return 0;  // aborts the transfer
    }
  } else {
    t->response->body.append(data, n);
  }
  return n;
}

size_t OnHeader(char* data, size_t size, size_t nitems, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  size_t n = size * nitems;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    // A new status line: a 100 Continue (or redirect) came first; keep only the last set.
    t->response->headers = Headers();
    t->response->headers.Reserve(24);  // an S3 answer carries 10-20 fields
    auto space = line.find(' ');
    int status = 0;
    if (space != std::string_view::npos) {
      std::from_chars(line.data() + space + 1, line.data() + line.size(), status);
    }
    t->response->status = status;
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  t->response->headers.Add(name, value);
  return n;
}

class CurlClient final : public HttpClient {
 public:
  explicit CurlClient(const ClientOptions& options) : options_(options) {
    share_ = curl_share_init();
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &CurlClient::Lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &CurlClient::Unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }

  ~CurlClient() override {
    for (CURL* h : idle_) curl_easy_cleanup(h);
    curl_share_cleanup(share_);
  }

  Result<ClientResponse> Send(const ClientRequest& request) override {
    CURL* h = Borrow();
    ClientResponse response;
    Transfer t{&request, &response, options_.rate_limiter};
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_slist* headers = nullptr;
    for (const auto& f : request.headers.fields()) {
      std::string line = f.name + ": " + f.value;
      if (f.value.empty()) line = f.name + ";";  // curl's syntax for an empty header
      headers = curl_slist_append(headers, line.c_str());
    }
    // curl adds "Expect: 100-continue" for large bodies; S3 servers handle it, but it costs a
    // round trip per request, so it is off unless the caller asks for it.
    if (!request.headers.Has("expect")) headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    bool has_body = request.body_fd >= 0 || !request.body.empty() || request.method == "PUT" ||
                    request.method == "POST";
    uint64_t body_len = request.body_fd >= 0 ? request.body_length : request.body.size();
    if (request.method == "HEAD" || request.no_body) {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (request.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (has_body) {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_len));
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &OnRead);
      curl_easy_setopt(h, CURLOPT_READDATA, &t);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &OnSeek);
      curl_easy_setopt(h, CURLOPT_SEEKDATA, &t);
    }
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnWrite);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    Return(h, rc == CURLE_OK);
    if (!t.sink_status.ok()) return t.sink_status;
    if (!t.read_status.ok()) return t.read_status;
    if (rc != CURLE_OK) {
      return Status::Unavailable(request.method + " " + request.url + ": " +
                                 curl_easy_strerror(rc));
    }
    response.status = static_cast<int>(status);
    return response;
  }

 private:
  CURL* Borrow() {
    {
      std::lock_guard lock(pool_mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        curl_easy_reset(h);  // keeps the connection cache; clears per-request options
        Configure(h);
        return h;
      }
    }
    CURL* h = curl_easy_init();
    Configure(h);
    return h;
  }

  void Return(CURL* h, bool healthy) {
    std::lock_guard lock(pool_mu_);
    if (healthy && idle_.size() < options_.max_idle_handles) {
      idle_.push_back(h);
    } else {
      curl_easy_cleanup(h);
    }
  }

  void Configure(CURL* h) {
    curl_easy_setopt(h, CURLOPT_SHARE, share_);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_MAXCONNECTS, options_.max_cached_connections);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, options_.stall_bytes_per_second);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, options_.stall_seconds);
    if (options_.total_timeout_ms > 0) {
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, options_.total_timeout_ms);
    }
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    if (!options_.ca_bundle.empty())
      curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024);
    // Bodies are passed through untouched: ETags and checksums cover the stored bytes.
    curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    curl_easy_setopt(h, CURLOPT_HTTP_TRANSFER_DECODING, 1L);
  }

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* userptr) {
    static_cast<CurlClient*>(userptr)->MutexFor(data).lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* userptr) {
    static_cast<CurlClient*>(userptr)->MutexFor(data).unlock();
  }
  std::mutex& MutexFor(curl_lock_data data) {
    return share_mu_[static_cast<size_t>(data) % share_mu_.size()];
  }

  const ClientOptions options_;
  CURLSH* share_ = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> share_mu_;
  std::mutex pool_mu_;
  std::vector<CURL*> idle_;  // guarded by pool_mu_
};

}  // namespace

Result<std::unique_ptr<HttpClient>> HttpClient::Create(const ClientOptions& options) {
  EnsureCurlInitialised();
  return std::unique_ptr<HttpClient>(std::make_unique<CurlClient>(options));
}

}  // namespace ferry::http
