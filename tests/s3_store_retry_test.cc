// S3Store retries through a fault-injecting proxy in front of ferry serve: cut-off bodies
// resume from the byte reached; 503 SlowDown, 500s, stalls and resets are ridden out with
// byte-exact results; damaged bytes are detected; 404s are never retried.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <random>
#include <thread>

#include "core/checksum.h"
#include "fault_proxy.h"
#include "s3_peers.h"
#include "s3client/s3_store.h"

#include "s3_store_test_util.h"

namespace ferry::testing {
namespace {

// Retries, through a proxy in front of ferry serve that injects faults.
class S3StoreRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    peer_ = Peers::instance->Get("ferry", &why);
    ASSERT_TRUE(peer_) << why;
    auto proxy = FaultProxy::Start(peer_->port());
    ASSERT_TRUE(proxy.ok());
    proxy_ = std::move(proxy).value();
    S3StoreOptions o = OptionsFor(*peer_, proxy_->port());
    o.http.stall_seconds = 1;
    auto store = S3Store::Open(o);
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    static std::atomic<int> counter{0};
    bucket_ = "r" + std::to_string(::getpid() % 100000) + "-" + std::to_string(counter++);
    ASSERT_TRUE(store_->CreateBucket(bucket_).ok());
  }
  void TearDown() override {
    store_.reset();
    proxy_.reset();
  }
  std::string Target(const std::string& key) { return "/" + bucket_ + "/" + key; }

  Peer* peer_ = nullptr;
  std::unique_ptr<FaultProxy> proxy_;
  std::unique_ptr<S3Store> store_;
  std::string bucket_;
};

TEST_F(S3StoreRetryTest, CutBodiesResumeFromTheByteReached) {
  std::string body = Bytes(4 * MiB, 50);
  ASSERT_TRUE(Put(*store_, bucket_, "cut", body).ok());
  // The first GET (prefetch) is cut: it is simply repeated.
  proxy_->Add({Fault::kCutBody, "GET", Target("cut"), 300'000});
  auto reader = store_->OpenObject(bucket_, "cut");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(store_->stats().retries, 1u);
  // A 2 MiB ranged read cut after 700,000 bytes, twice: it resumes from where it stopped.
  proxy_->Add({Fault::kCutBody, "GET", Target("cut"), 700'000, 0, 2});
  std::string buf(2 * MiB, '\0');
  uint64_t received = store_->stats().bytes_received;
  auto n = (*reader)->ReadAt(MiB + 5, std::span<char>(buf.data(), buf.size()));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_EQ(*n, buf.size());
  EXPECT_TRUE(buf == body.substr(MiB + 5, 2 * MiB));
  EXPECT_EQ(store_->stats().retries, 3u);
  EXPECT_EQ(store_->stats().bytes_received - received, 2 * MiB) << "no byte fetched twice";
  EXPECT_EQ(proxy_->injected(), 3);
}

TEST_F(S3StoreRetryTest, SlowDownAndServerErrorsAreRetried) {
  std::string body = Bytes(12 * MiB, 51);
  // Two 503 SlowDown on the single PUT, one 500 on an UploadPart, one 503 on Complete.
  proxy_->Add({Fault::kSlowDown, "PUT", Target("small"), 0, 0, 2});
  auto small = Put(*store_, bucket_, "small", "tiny");
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_EQ(store_->stats().retries, 2u);
  proxy_->Add({Fault::kInternalError, "PUT", "partNumber=2", 0, 0, 1});
  proxy_->Add({Fault::kSlowDown, "POST", Target("big") + "?uploadId", 0, 0, 1});
  auto big = Put(*store_, bucket_, "big", body);
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(store_->stats().retries, 4u);
  auto reader = store_->OpenObject(bucket_, "big");
  ASSERT_TRUE(reader.ok());
  auto all = ReadAll(**reader);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(*all == body);
  EXPECT_EQ(proxy_->injected(), 4);
}

TEST_F(S3StoreRetryTest, CompleteAnswering200WithAnErrorIsRetried) {
  std::string body = Bytes(11 * MiB, 52);
  proxy_->Add({Fault::kErrorIn200, "POST", Target("in200") + "?uploadId", 0, 0, 1});
  auto meta = Put(*store_, bucket_, "in200", body);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(store_->stats().retries, 1u);
  EXPECT_TRUE(meta->etag.ends_with("-3"));
  auto got = store_->OpenObject(bucket_, "in200");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*ReadAll(**got) == body);
}

TEST_F(S3StoreRetryTest, CompleteWhoseAnswerIsLostIsRecognised) {
  // The upload completes but its answer is cut off; the retry finds no such upload any more,
  // looks the object up and accepts it because its ETag is that of exactly these parts.
  std::string body = Bytes(11 * MiB, 54);
  proxy_->Add({Fault::kCutBody, "POST", Target("lost") + "?uploadId", 0, 0, 1});
  auto meta = Put(*store_, bucket_, "lost", body);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_TRUE(meta->etag.ends_with("-3")) << meta->etag;
  EXPECT_EQ(store_->stats().retries, 1u);
  auto got = store_->OpenObject(bucket_, "lost");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)->meta().etag, meta->etag);
  EXPECT_TRUE(*ReadAll(**got) == body);
}

TEST_F(S3StoreRetryTest, DamagedBytesAreDetected) {
  // Upload: a flipped byte on the way makes the server's CRC32C check fail (BadDigest); the
  // body is sent again.
  std::string body = Bytes(300'000, 55);
  proxy_->Add({Fault::kCorruptRequest, "PUT", Target("flip"), 12'345, 0, 1});
  auto put = Put(*store_, bucket_, "flip", body);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(store_->stats().retries, 1u);
  // Download of an object that arrives whole with the first GET: checked before OpenObject
  // returns, fetched again when damaged.
  proxy_->Add({Fault::kCorruptBody, "GET", Target("flip"), 777, 0, 1});
  auto reader = store_->OpenObject(bucket_, "flip");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(store_->stats().retries, 2u);
  EXPECT_TRUE(*ReadAll(**reader) == body);
  // Damaged every time: Corruption once the attempts run out.
  proxy_->Add({Fault::kCorruptBody, "GET", Target("flip"), 777, 0, 8});
  auto damaged = store_->OpenObject(bucket_, "flip");
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), Status::Code::kCorruption) << damaged.status().ToString();
  // (A ranged GET carries no full-object checksum: the single-part MD5 ETag is the reference.)
  EXPECT_NE(damaged.status().message().find("does not match its MD5 ETag"), std::string::npos)
      << damaged.status().message();
  // A large object read sequentially: the read that completes it reports the damage.
  std::string big = Bytes(3 * MiB, 56);
  ASSERT_TRUE(Put(*store_, bucket_, "flip-big", big).ok());
  auto seq = store_->OpenObject(bucket_, "flip-big");
  ASSERT_TRUE(seq.ok());
  proxy_->Add({Fault::kCorruptBody, "GET", Target("flip-big"), 1000, 0, 1});
  auto all = ReadAll(**seq, 512 * 1024);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), Status::Code::kCorruption) << all.status().ToString();
}

TEST_F(S3StoreRetryTest, StallsAndResetsAreRetried) {
  std::string body = Bytes(3 * MiB, 53);
  ASSERT_TRUE(Put(*store_, bucket_, "stall", body).ok());
  auto reader = store_->OpenObject(bucket_, "stall");
  ASSERT_TRUE(reader.ok());
  // The body stops after 100 KB for 3 s; the client gives up after 1 s without progress.
  proxy_->Add({Fault::kStall, "GET", Target("stall"), 100'000, 3000, 1});
  std::string buf(MiB, '\0');
  auto n = (*reader)->ReadAt(2 * MiB, std::span<char>(buf.data(), buf.size()));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_TRUE(buf == body.substr(2 * MiB, MiB));
  EXPECT_EQ(store_->stats().retries, 1u);
  // Connections reset before any answer, on HEAD and on an upload. (libcurl itself resends
  // once when a reused connection dies before answering, so not every reset is our retry.)
  proxy_->Add({Fault::kReset, "HEAD", Target("stall"), 0, 0, 3});
  auto head = store_->HeadObject(bucket_, "stall");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, body.size());
  EXPECT_GE(store_->stats().retries, 2u);
  proxy_->Add({Fault::kReset, "PUT", Target("reset"), 0, 0, 3});
  ASSERT_TRUE(Put(*store_, bucket_, "reset", body).ok());
  auto got = store_->OpenObject(bucket_, "reset");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*ReadAll(**got) == body);
  EXPECT_GE(store_->stats().retries, 3u);
  EXPECT_EQ(proxy_->injected(), 7);
}

TEST_F(S3StoreRetryTest, GivesUpAfterMaxAttemptsAndNeverRetries404) {
  proxy_->Add({Fault::kSlowDown, "GET", Target("busy"), 0, 0, 100});
  auto get = store_->OpenObject(bucket_, "busy");
  ASSERT_FALSE(get.ok());
  EXPECT_TRUE(get.status().retryable());
  EXPECT_EQ(get.status().http_status(), 503);
  EXPECT_EQ(get.status().s3_code(), "SlowDown");
  EXPECT_NE(get.status().message().find("gave up after 8 attempts"), std::string::npos)
      << get.status().message();
  EXPECT_EQ(store_->stats().retries, 7u);
  // A HEAD answer has no body: the code comes from the status.
  proxy_->Add({Fault::kSlowDown, "HEAD", Target("busy"), 0, 0, 100});
  auto head = store_->HeadObject(bucket_, "busy");
  EXPECT_EQ(head.status().http_status(), 503);
  EXPECT_EQ(head.status().s3_code(), "ServiceUnavailable");
  EXPECT_EQ(store_->stats().retries, 14u);
  auto missing = store_->HeadObject(bucket_, "absent");
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_EQ(store_->stats().retries, 14u);
}

}  // namespace
}  // namespace ferry::testing
