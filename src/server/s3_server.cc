#include "server/s3_server.h"

#include "server/s3_handler.h"

namespace ferry::server {
namespace {

class S3ServerImpl final : public S3Server {
 public:
  S3ServerImpl(const S3ServerOptions& options, ObjectStore& store) : handler_(options, store) {}
  ~S3ServerImpl() override { Stop(); }

  Status Start(const http::ServerOptions& http_options) {
    auto server = http::Server::Start(
        http_options,
        [this](const http::Request& req, http::BodyReader& body, http::ResponseWriter& out) {
          handler_.Handle(req, body, out);
        },
        [this](int status, std::string_view reason, http::ResponseWriter& out) {
          handler_.Reject(status, reason, out);
        });
    if (!server.ok()) return server.status();
    http_ = std::move(server).value();
    return Status::OK();
  }

  uint16_t port() const override { return http_->port(); }
  std::string MetricsText() const override { return handler_.measures().Render(); }
  void Stop() override {
    if (http_) http_->Stop();
  }

 private:
  S3Handler handler_;
  std::unique_ptr<http::Server> http_;
};

}  // namespace

Result<std::unique_ptr<S3Server>> S3Server::Start(const S3ServerOptions& options,
                                                  ObjectStore& store) {
  auto server = std::make_unique<S3ServerImpl>(options, store);
  FERRY_RETURN_IF_ERROR(server->Start(options.http));
  return std::unique_ptr<S3Server>(std::move(server));
}

}  // namespace ferry::server
