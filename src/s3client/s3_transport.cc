#include "s3client/s3_transport.h"

#include "s3/http_date.h"
#include "s3/xml_response.h"

namespace ferry {

std::string S3Url(std::string_view bucket, std::string_view key) {
  std::string out = "s3://";
  out += bucket;
  if (!key.empty()) {
    out += '/';
    out += key;
  }
  return out;
}

Result<std::unique_ptr<S3Transport>> S3Transport::Create(const S3StoreOptions& options) {
  FERRY_ASSIGN_OR_RETURN(S3RequestBuilder builder, S3RequestBuilder::Create(options));
  FERRY_ASSIGN_OR_RETURN(auto client, http::HttpClient::Create(options.http));
  return std::unique_ptr<S3Transport>(
      new S3Transport(options, std::move(builder), std::move(client)));
}

S3Transport::S3Transport(const S3StoreOptions& options, S3RequestBuilder builder,
                         std::unique_ptr<http::HttpClient> client)
    : options_(options),
      builder_(std::move(builder)),
      client_(std::move(client)),
      retry_(options.retry) {}

Result<http::ClientResponse> S3Transport::SendOnce(const S3Call& call) {
  int64_t now_s = s3::NanosToSeconds(options_.clock->NowNanos());
  BuiltRequest built = builder_.Build(call.spec, now_s);
  http::ClientRequest req;
  req.method = call.spec.method;
  req.url = std::move(built.url);
  req.headers = std::move(built.headers);
  req.body = call.body;
  req.body_fd = call.body_fd;
  req.body_offset = call.body_offset;
  req.body_length = call.body_length;
  // Bytes that reached the sink count even when the transfer then fails (a resumed GET).
  uint64_t sunk = 0;
  http::BodySink counting;
  if (call.sink) {
    counting = [&](std::string_view data) {
      sunk += data.size();
      return (*call.sink)(data);
    };
    req.sink = &counting;
  }
  req.sink_only_on_success = true;
  req.no_body = call.no_body || call.spec.method == "HEAD";
  requests_.fetch_add(1, std::memory_order_relaxed);
  bytes_sent_.fetch_add(call.body_fd >= 0 ? call.body_length : call.body.size(),
                        std::memory_order_relaxed);
  std::string context = std::string(call.op) + " " + S3Url(call.spec.bucket, call.spec.key);
  auto sent = client_->Send(req);
  if (!sent.ok()) {
    bytes_received_.fetch_add(sunk, std::memory_order_relaxed);
    return sent.status().Annotate(context);
  }
  http::ClientResponse response = std::move(sent).value();
  bytes_received_.fetch_add(response.body_bytes, std::memory_order_relaxed);
  if (response.status / 100 == 2) return response;
  s3::ErrorResponse error;
  if (auto parsed = s3::ParseErrorResponse(response.body); parsed.ok()) {
    error = std::move(parsed).value();
  } else {
    // HEAD answers carry no body, and proxies may send text or HTML: keep a little of it.
    error.message = response.body.substr(0, 200);
  }
  if (auto region = response.headers.Get("x-amz-bucket-region")) {
    if (response.status / 100 == 3 || response.status == 400) {
      error.message += " (the bucket is in region " + std::string(*region) + ")";
    }
  }
  Status st = s3::StatusFromErrorResponse(response.status, error);
  return st.Annotate(context);
}

Result<http::ClientResponse> S3Transport::Send(const S3Call& call) {
  return retry_.RunResult<http::ClientResponse>([&](int) { return SendOnce(call); });
}

S3Stats S3Transport::stats() const {
  S3Stats s;
  s.requests = requests_.load();
  s.retries = retry_.retries();
  s.bytes_sent = bytes_sent_.load();
  s.bytes_received = bytes_received_.load();
  return s;
}

}  // namespace ferry
