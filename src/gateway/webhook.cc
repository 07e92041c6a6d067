#include "gateway/webhook.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ferry::gateway {
namespace {

constexpr auto kDrainOnStop = std::chrono::seconds(5);

}  // namespace

Result<std::unique_ptr<Webhook>> Webhook::Start(const std::string& url, size_t max_queued) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    return Status::InvalidArgument("--webhook wants an http:// or https:// URL, got '" + url + "'");
  }
  http::ClientOptions options;
  options.connect_timeout_ms = 5000;
  options.total_timeout_ms = 30'000;
  FERRY_ASSIGN_OR_RETURN(auto client, http::HttpClient::Create(options));
  return std::unique_ptr<Webhook>(
      new Webhook(url, std::move(client), std::max<size_t>(1, max_queued)));
}

Webhook::Webhook(std::string url, std::unique_ptr<http::HttpClient> client, size_t max_queued)
    : url_(std::move(url)),
      client_(std::move(client)),
      max_queued_(max_queued),
      sender_([this] { Run(); }) {}

Webhook::~Webhook() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    stop_by_ = std::chrono::steady_clock::now() + kDrainOnStop;
  }
  cv_.notify_all();
  sender_.join();
}

void Webhook::Post(std::string json) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= max_queued_) {
      queue_.pop_front();
      if (dropped_++ % 1000 == 0) {
        spdlog::warn("webhook {}: the receiver is behind; {} events dropped so far", url_,
                     dropped_);
      }
    }
    queue_.emplace_back(next_number_++, std::move(json));
  }
  cv_.notify_all();
}

uint64_t Webhook::delivered() const {
  std::lock_guard lock(mu_);
  return delivered_;
}

uint64_t Webhook::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

Status Webhook::Send(const std::string& json) {
  http::ClientRequest req;
  req.method = "POST";
  req.url = url_;
  req.headers.Set("Content-Type", "application/json");
  req.body = json;
  FERRY_ASSIGN_OR_RETURN(http::ClientResponse resp, client_->Send(req));
  if (resp.status < 200 || resp.status > 299) {
    return Status::Unavailable("answered HTTP " + std::to_string(resp.status));
  }
  return Status::OK();
}

void Webhook::Run() {
  std::chrono::milliseconds backoff{0};
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() || (stopping_ && std::chrono::steady_clock::now() >= stop_by_)) break;
    const auto [number, json] = queue_.front();
    lock.unlock();
    Status sent = Send(json);
    lock.lock();
    if (sent.ok()) {
      // Post may have dropped it meanwhile when the queue overflowed; then it is gone anyway.
      if (!queue_.empty() && queue_.front().first == number) queue_.pop_front();
      delivered_++;
      backoff = std::chrono::milliseconds{0};
      continue;
    }
    backoff = std::min<std::chrono::milliseconds>(
        std::chrono::seconds(30), backoff.count() == 0 ? std::chrono::seconds(1) : backoff * 2);
    spdlog::warn("webhook {}: {}; retrying in {} s", url_, sent.ToString(), backoff.count() / 1000);
    const auto retry_at = std::chrono::steady_clock::now() + backoff;
    while (true) {  // until the retry, or the end of the drain once stopping
      const auto until = stopping_ ? std::min(retry_at, stop_by_) : retry_at;
      if (std::chrono::steady_clock::now() >= until) break;
      cv_.wait_until(lock, until);
    }
    if (stopping_ && std::chrono::steady_clock::now() >= stop_by_) break;
  }
  if (!queue_.empty()) {
    spdlog::warn("webhook {}: {} events not delivered at stop", url_, queue_.size());
  }
}

}  // namespace ferry::gateway
