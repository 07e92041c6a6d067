// The S3 front end without sockets: requests handed to S3Handler as the HTTP layer would, over a
// MemoryStore, and the answers it writes looked at byte by byte.
#include "server/s3_handler.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "core/clock.h"
#include "s3/http_date.h"
#include "s3/sigv4.h"
#include "testing/memory_store.h"
#include "testing/store_test_util.h"

namespace ferry::server {
namespace {

class StringBody final : public http::BodyReader {
 public:
  explicit StringBody(std::string data) : data_(std::move(data)) {}
  Result<size_t> Read(std::span<char> out) override {
    size_t n = std::min(out.size(), data_.size() - read_);
    std::memcpy(out.data(), data_.data() + read_, n);
    read_ += n;
    return n;
  }
  uint64_t bytes_read() const override { return read_; }

 private:
  std::string data_;
  size_t read_ = 0;
};

// What the handler answered.
struct Answer {
  int status = 0;
  http::Headers headers;
  std::string body;
  bool close = false;
};

class RecordingWriter final : public http::ResponseWriter {
 public:
  explicit RecordingWriter(Answer& answer) : answer_(answer) {}
  Status WriteHead(int status, const http::Headers& headers, uint64_t) override {
    answer_.status = status;
    answer_.headers = headers;
    head_written_ = true;
    return Status::OK();
  }
  Status WriteBody(std::span<const char> data) override {
    answer_.body.append(data.data(), data.size());
    return Status::OK();
  }
  Status SendFile(int, uint64_t, uint64_t) override {
    return Status::NotImplemented("no files here");
  }
  Status Respond(int status, const http::Headers& headers, std::string_view body) override {
    FERRY_RETURN_IF_ERROR(WriteHead(status, headers, body.size()));
    return WriteBody(body);
  }
  bool head_written() const override { return head_written_; }
  void CloseAfterResponse() override { answer_.close = true; }

 private:
  Answer& answer_;
  bool head_written_ = false;
};

const s3::Credentials kKeys{"AKIDSERVERTEST", "server-test-secret", ""};

class S3HandlerTest : public ::testing::Test {
 protected:
  S3HandlerTest() {
    options_.credentials = {kKeys};
    handler_ = std::make_unique<S3Handler>(options_, memory_);
  }

  // A request as the HTTP layer hands it over; signed with kKeys unless anonymous.
  http::Request Make(std::string method, std::string target, const std::string& body = "",
                     std::string host = "127.0.0.1:9000") {
    http::Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    auto q = r.target.find('?');
    r.path = r.target.substr(0, q);
    r.query = q == std::string::npos ? "" : r.target.substr(q + 1);
    r.headers.Add("Host", host);
    if (!body.empty() || r.method == "PUT") {
      r.content_length = body.size();
      r.has_body = true;
    }
    return r;
  }

  void Sign(http::Request& r, const std::string& body = "") {
    s3::SigningParams params;
    params.credentials = kKeys;
    params.amz_date = s3::FormatAmzDate(SystemClock().NowNanos() / 1'000'000'000);
    // A body sent with UNSIGNED-PAYLOAD is as valid as a hashed one, and needs no hasher here.
    const std::string payload_hash =
        body.empty() ? std::string(s3::kEmptySha256) : std::string(s3::kUnsignedPayload);
    r.headers.Set("x-amz-date", params.amz_date);
    r.headers.Set("x-amz-content-sha256", payload_hash);
    s3::SignableRequest signable;
    signable.method = r.method;
    signable.path = r.path;
    auto query = s3::ParseQuery(r.query);
    ASSERT_TRUE(query.ok());
    signable.query = *query;
    for (const auto& f : r.headers.fields()) signable.headers.emplace_back(f.name, f.value);
    signable.payload_hash = payload_hash;
    r.headers.Set("Authorization", s3::Sign(signable, params));
  }

  Answer Send(const http::Request& r, const std::string& body = "") {
    Answer answer;
    StringBody reader(body);
    RecordingWriter writer(answer);
    handler_->Handle(r, reader, writer);
    return answer;
  }

  Answer SendSigned(std::string method, std::string target, const std::string& body = "",
                    std::string host = "127.0.0.1:9000") {
    http::Request r = Make(std::move(method), std::move(target), body, std::move(host));
    Sign(r, body);
    return Send(r, body);
  }

  static std::string CodeOf(const Answer& a) {
    auto start = a.body.find("<Code>");
    auto end = a.body.find("</Code>");
    if (start == std::string::npos || end == std::string::npos) return "";
    return a.body.substr(start + 6, end - start - 6);
  }

  S3ServerOptions options_;
  ferry::testing::MemoryStore memory_;
  std::unique_ptr<S3Handler> handler_;
};

TEST_F(S3HandlerTest, PathAndVirtualHostedStyleNameTheSameObject) {
  ASSERT_EQ(SendSigned("PUT", "/bkt").status, 200);
  ASSERT_EQ(SendSigned("PUT", "/bkt/dir/a%20b.txt", "hello").status, 200);
  auto meta = memory_.HeadObject("bkt", "dir/a b.txt");
  ASSERT_TRUE(meta.ok()) << "the key is stored decoded: " << meta.status().ToString();

  Answer path_style = SendSigned("GET", "/bkt/dir/a%20b.txt");
  EXPECT_EQ(path_style.status, 200);
  EXPECT_EQ(path_style.body, "hello");
  Answer virtual_hosted = SendSigned("GET", "/dir/a%20b.txt", "", "bkt.localhost:9000");
  EXPECT_EQ(virtual_hosted.status, 200);
  EXPECT_EQ(virtual_hosted.body, "hello");
  // A host that is not under a known domain is not a bucket: the path names it.
  Answer other_host = SendSigned("GET", "/bkt/dir/a%20b.txt", "", "bkt.example.test");
  EXPECT_EQ(other_host.body, "hello");
}

TEST_F(S3HandlerTest, ServiceBucketAndObjectLevelsAreDispatchedByPathAndMethod) {
  ASSERT_EQ(SendSigned("PUT", "/one").status, 200);
  ASSERT_EQ(SendSigned("PUT", "/two").status, 200);
  Answer buckets = SendSigned("GET", "/");
  EXPECT_EQ(buckets.status, 200);
  EXPECT_NE(buckets.body.find("<ListAllMyBucketsResult"), std::string::npos) << buckets.body;
  EXPECT_NE(buckets.body.find("<Name>two</Name>"), std::string::npos);

  ASSERT_EQ(SendSigned("PUT", "/one/k", "v").status, 200);
  Answer listing = SendSigned("GET", "/one?list-type=2&prefix=k");
  EXPECT_EQ(listing.status, 200);
  EXPECT_NE(listing.body.find("<Key>k</Key>"), std::string::npos) << listing.body;
  EXPECT_EQ(SendSigned("HEAD", "/one/k").status, 200);
  EXPECT_EQ(SendSigned("DELETE", "/one/k").status, 204);
  Answer gone = SendSigned("GET", "/one/k");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(CodeOf(gone), "NoSuchKey");
  Answer no_bucket = SendSigned("GET", "/three?list-type=2");
  EXPECT_EQ(CodeOf(no_bucket), "NoSuchBucket");
  Answer wrong_method = SendSigned("PATCH", "/one/k", "x");
  EXPECT_GE(wrong_method.status, 400);
  EXPECT_FALSE(CodeOf(wrong_method).empty()) << wrong_method.body;
}

TEST_F(S3HandlerTest, UnsignedTamperedAndMalformedRequestsAreRefused) {
  ASSERT_EQ(SendSigned("PUT", "/bkt").status, 200);
  Answer anonymous = Send(Make("GET", "/bkt?list-type=2"));
  EXPECT_EQ(anonymous.status, 403);
  EXPECT_EQ(CodeOf(anonymous), "AccessDenied");

  http::Request tampered = Make("GET", "/bkt?list-type=2");
  Sign(tampered);
  tampered.target = "/bkt?list-type=2&prefix=x";
  tampered.query = "list-type=2&prefix=x";
  EXPECT_EQ(CodeOf(Send(tampered)), "SignatureDoesNotMatch");

  http::Request unknown_key = Make("GET", "/bkt?list-type=2");
  Sign(unknown_key);
  std::string auth(*unknown_key.headers.Get("Authorization"));
  auth.replace(auth.find(kKeys.access_key_id), kKeys.access_key_id.size(), "AKIDNOBODY");
  unknown_key.headers.Set("Authorization", auth);
  EXPECT_EQ(CodeOf(Send(unknown_key)), "InvalidAccessKeyId");

  EXPECT_EQ(CodeOf(Send(Make("GET", "/bkt?list-type=2&%zz"))), "InvalidArgument")
      << "a query that does not decode, refused before the signature is looked at";
  EXPECT_EQ(CodeOf(SendSigned("GET", "bkt/k")), "InvalidURI") << "no leading slash";
}

TEST_F(S3HandlerTest, AnonymousRequestsMayOnlyReadAndOnlyWhereTheServerAllowsIt) {
  ASSERT_TRUE(memory_.CreateBucket("pub").ok());
  const auto send = [&](S3Handler& handler, const std::string& method, const std::string& target,
                        const std::string& payload = "") {
    Answer answer;
    StringBody body(payload);
    RecordingWriter writer(answer);
    http::Request req = Make(method, target);
    if (!payload.empty()) req.headers.Set("Content-Length", std::to_string(payload.size()));
    handler.Handle(req, body, writer);
    return answer;
  };
  EXPECT_EQ(CodeOf(send(*handler_, "GET", "/pub?list-type=2")), "AccessDenied");
  EXPECT_EQ(CodeOf(send(*handler_, "GET", "/")), "AccessDenied");

  options_.allow_anonymous = true;  // AllUsers READ everywhere
  S3Handler open(options_, memory_);
  EXPECT_EQ(send(open, "GET", "/pub?list-type=2").status, 200);
  EXPECT_EQ(CodeOf(send(open, "PUT", "/pub/k", "data")), "AccessDenied");
  EXPECT_EQ(CodeOf(send(open, "DELETE", "/pub")), "AccessDenied");
  EXPECT_EQ(CodeOf(send(open, "PUT", "/pub?acl", "")), "AccessDenied");
  EXPECT_EQ(CodeOf(send(open, "PUT", "/mine")), "AccessDenied") << "no bucket for nobody";
}

TEST_F(S3HandlerTest, ErrorsAreS3XmlWithTheRequestIdAndNoBodyForHead) {
  ASSERT_EQ(SendSigned("PUT", "/bkt").status, 200);
  Answer missing = SendSigned("GET", "/bkt/nope");
  EXPECT_EQ(missing.status, 404);
  auto id = missing.headers.Get("x-amz-request-id");
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(missing.headers.Has("x-amz-id-2"));
  EXPECT_EQ(missing.headers.GetOr("Content-Type", ""), "application/xml");
  EXPECT_NE(missing.body.find("<?xml"), std::string::npos);
  EXPECT_NE(missing.body.find("<Key>nope</Key>"), std::string::npos) << missing.body;
  EXPECT_NE(missing.body.find("<RequestId>" + std::string(*id) + "</RequestId>"),
            std::string::npos);
  // Two requests never share an id.
  EXPECT_NE(SendSigned("GET", "/bkt/nope").headers.GetOr("x-amz-request-id", ""), *id);

  Answer head = SendSigned("HEAD", "/bkt/nope");
  EXPECT_EQ(head.status, 404);
  EXPECT_TRUE(head.body.empty()) << "HEAD answers carry no body";
}

TEST_F(S3HandlerTest, ObjectHeadersAreStoredAndAnsweredAsSent) {
  ASSERT_EQ(SendSigned("PUT", "/bkt").status, 200);
  http::Request put = Make("PUT", "/bkt/obj", "body");
  put.headers.Add("Content-Type", "text/plain");
  put.headers.Add("x-amz-meta-Owner", "team-a");
  put.headers.Add("Cache-Control", "no-cache");
  Sign(put, "body");
  Answer stored = Send(put, "body");
  ASSERT_EQ(stored.status, 200) << stored.body;
  auto etag = stored.headers.Get("ETag");
  ASSERT_TRUE(etag.has_value());
  EXPECT_EQ(*etag, "\"841a2d689ad86bd1611447453c22c6fc\"") << "MD5 of \"body\", quoted";

  Answer head = SendSigned("HEAD", "/bkt/obj");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.headers.GetOr("Content-Type", ""), "text/plain");
  EXPECT_EQ(head.headers.GetOr("x-amz-meta-owner", ""), "team-a") << "names lower-cased";
  EXPECT_EQ(head.headers.GetOr("Cache-Control", ""), "no-cache");
  EXPECT_EQ(head.headers.GetOr("ETag", ""), *etag);
  EXPECT_TRUE(head.headers.Has("Last-Modified"));

  Answer range = [&] {
    http::Request get = Make("GET", "/bkt/obj");
    get.headers.Add("Range", "bytes=1-2");
    Sign(get);
    return Send(get);
  }();
  EXPECT_EQ(range.status, 206);
  EXPECT_EQ(range.body, "od");
  EXPECT_EQ(range.headers.GetOr("Content-Range", ""), "bytes 1-2/4");
}

TEST_F(S3HandlerTest, BadRequestHeadersGetTheirS3Codes) {
  ASSERT_EQ(SendSigned("PUT", "/bkt").status, 200);
  auto put_with = [&](std::string name, std::string value) {
    http::Request put = Make("PUT", "/bkt/x", "data");
    put.headers.Add(name, value);
    Sign(put, "data");
    return CodeOf(Send(put, "data"));
  };
  EXPECT_EQ(put_with("Content-MD5", "not-base64!"), "InvalidDigest");
  EXPECT_EQ(put_with("Content-MD5", "AAAAAAAAAAAAAAAAAAAAAA=="), "BadDigest");
  EXPECT_EQ(put_with("x-amz-storage-class", "COLDEST"), "InvalidStorageClass");
  EXPECT_EQ(put_with("If-Match", "*"), "NotImplemented");
  EXPECT_EQ(put_with("x-amz-copy-source", "bkt"), "InvalidArgument") << "no key in the source";
  EXPECT_FALSE(memory_.HeadObject("bkt", "x").ok()) << "no refused write left an object";
  EXPECT_EQ(CodeOf(SendSigned("PUT", "/bkt/x?partNumber=0&uploadId=u", "data")), "InvalidArgument");
}

TEST_F(S3HandlerTest, RequestsTheHttpLayerRejectedAreAnsweredInS3Form) {
  Answer answer;
  RecordingWriter writer(answer);
  handler_->Reject(431, "header section too large", writer);
  EXPECT_EQ(answer.status, 400) << "S3's status for it";
  EXPECT_EQ(CodeOf(answer), "RequestHeaderSectionTooLarge");
  EXPECT_TRUE(answer.close) << "the connection is not reused after a request it could not read";
  EXPECT_TRUE(answer.headers.Has("x-amz-request-id"));
}

}  // namespace
}  // namespace ferry::server
