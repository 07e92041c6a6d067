// S3Store against real S3 servers on 127.0.0.1: ferry serve's S3Server in this process (over a
// LocalStore in a temp directory) and, when npm is available, the npm s3rver. Every
// ObjectStore operation, odd keys, multipart with several parts, ranged and parallel reads,
// pinned reads after an overwrite, batch deletes beyond 1000 keys, checksums, wrong
// credentials; and, through a fault-injecting proxy, retries that resume cut-off bodies and
// ride out 503 SlowDown, 500s, stalls and resets with byte-exact results.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
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

TEST_P(S3StoreTest, Buckets) {
  auto buckets = store_->ListBuckets();
  ASSERT_TRUE(buckets.ok()) << buckets.status().ToString();
  bool found = false;
  for (auto& b : *buckets) found = found || b.name == bucket_;
  EXPECT_TRUE(found);
  auto head = store_->HeadBucket(bucket_);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->name, bucket_);

  auto missing = store_->HeadBucket("no-such-bucket-here");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_EQ(missing.status().s3_code(), "NoSuchBucket");
  EXPECT_NE(missing.status().message().find("s3://no-such-bucket-here"), std::string::npos)
      << missing.status().ToString();

  ASSERT_TRUE(Put(*store_, bucket_, "k", "v").ok());
  Status not_empty = store_->DeleteBucket(bucket_);
  EXPECT_EQ(not_empty.s3_code(), "BucketNotEmpty") << not_empty.ToString();
  EXPECT_EQ(not_empty.http_status(), 409);
  EXPECT_FALSE(not_empty.retryable());
  ASSERT_TRUE(store_->DeleteObject(bucket_, "k").ok());
  ASSERT_TRUE(store_->DeleteBucket(bucket_).ok());
  EXPECT_TRUE(store_->HeadBucket(bucket_).status().IsNotFound());
  auto gone = store_->ListObjects(ListObjectsRequest{bucket_});
  EXPECT_EQ(gone.status().s3_code(), "NoSuchBucket") << gone.status().ToString();
  EXPECT_EQ(store_->stats().retries, 0u);
}

TEST_P(S3StoreTest, SmallObjectsOneRequestToOpen) {
  PutObjectRequest req;
  req.headers.content_type = "text/plain";
  req.headers.cache_control = "max-age=60";
  req.headers.user_metadata = {{"file-mtime", "1700000000123456789ns"}, {"note", "a b"}};
  std::string body = "hello, S3Store";
  auto put = Put(*store_, bucket_, "dir/hello.txt", body, req);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->etag, Md5Hex(body));
  EXPECT_EQ(put->size, body.size());
  if (traits_.checksums) {
    ASSERT_TRUE(put->checksum);
    EXPECT_EQ(put->checksum->algorithm, ChecksumAlgorithm::kCrc32c);
    EXPECT_EQ(put->checksum->value, Base64Encode(Digest(DigestKind::kCrc32c, body)));
  } else {
    EXPECT_FALSE(put->checksum) << "a checksum the server did not store is not reported";
  }

  auto head = store_->HeadObject(bucket_, "dir/hello.txt");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, body.size());
  EXPECT_EQ(head->etag, Md5Hex(body));
  EXPECT_EQ(head->headers.content_type, "text/plain");
  EXPECT_EQ(head->headers.cache_control, "max-age=60");
  EXPECT_EQ(head->headers.user_metadata.at("file-mtime"), "1700000000123456789ns");
  EXPECT_EQ(head->headers.user_metadata.at("note"), "a b");
  EXPECT_GT(head->last_modified_ns, 0);
  if (traits_.checksums) {
    ASSERT_TRUE(head->checksum);
    EXPECT_EQ(head->checksum->value, put->checksum->value);
  }

  uint64_t before = store_->stats().requests;
  auto reader = store_->OpenObject(bucket_, "dir/hello.txt");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(store_->stats().requests, before + 1) << "a small object costs one request";
  EXPECT_EQ((*reader)->meta().size, body.size());
  EXPECT_EQ((*reader)->meta().headers.user_metadata.at("note"), "a b");
  auto all = ReadAll(**reader, 5);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, body);
  EXPECT_EQ(store_->stats().requests, before + 1) << "reads come from the prefetched bytes";
  auto extents = (*reader)->Extents(7, 7);
  ASSERT_EQ(extents.size(), 1u);
  EXPECT_EQ(extents[0].bytes, "S3Store");

  auto empty = Put(*store_, bucket_, "empty", "");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  auto got = Get(*store_, bucket_, "empty");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "");

  // (s3rver answers a Range on an empty object with a body it never sends: one retry above.)
  const uint64_t retries_before_404 = store_->stats().retries;
  auto missing = store_->OpenObject(bucket_, "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().s3_code(), "NoSuchKey");
  EXPECT_NE(missing.status().message().find("GetObject s3://" + bucket_ + "/nope: 404 NoSuchKey"),
            std::string::npos)
      << missing.status().ToString();
  auto head_missing = store_->HeadObject(bucket_, "nope");
  EXPECT_EQ(head_missing.status().s3_code(), "NoSuchKey");
  EXPECT_TRUE(store_->DeleteObject(bucket_, "nope").ok()) << "deleting a missing key succeeds";
  EXPECT_EQ(store_->stats().retries, retries_before_404) << "404s are never retried";
}

TEST_P(S3StoreTest, KnownVersionsOpenWithoutARequestAndStayPinned) {
  std::string body(300 << 10, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 31 + 7);
  auto put = Put(*store_, bucket_, "pinned.bin", body);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  uint64_t before = store_->stats().requests;
  OpenHints hints;
  hints.size = body.size();
  hints.etag = put->etag;
  auto reader = store_->OpenObject(bucket_, "pinned.bin", hints);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(store_->stats().requests, before) << "a known version opens without a request";
  std::string middle(1000, '\0');
  auto n = (*reader)->ReadAt(200 << 10, std::span<char>(middle));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(middle, body.substr(200 << 10, 1000));
  if (!traits_.conditional_get) return;  // the peer ignores If-Match
  ASSERT_TRUE(Put(*store_, bucket_, "pinned.bin", "replaced").ok());
  auto stale = store_->OpenObject(bucket_, "pinned.bin", hints);
  ASSERT_TRUE(stale.ok());
  auto changed = (*stale)->ReadAt(0, std::span<char>(middle));
  EXPECT_EQ(changed.status().code(), Status::Code::kPreconditionFailed)
      << changed.status().ToString();
}

TEST_P(S3StoreTest, OddKeys) {
  std::vector<std::string> keys = {"with space",
                                   "plus+sign",
                                   "percent%20literal",
                                   "tilde~and*",
                                   "unicode/\xc3\xa9t\xc3\xa9/\xe2\x82\xac",
                                   "query?x=1&y#",
                                   "dir/trailing/",
                                   "quote'\"<>&",
                                   "semi;colon:at@",
                                   "dots.../x..y",
                                   "equals=comma,"};
  if (traits_.odd_path_segments) {
    for (std::string k : {"a//b", "../up", "x/./y", "x/../y", "/leading", "..", "."}) {
      keys.push_back(k);
    }
    // Characters XML 1.0 cannot carry come back through encoding-type=url listings, and are
    // deleted one by one instead of in a DeleteObjects body.
    keys.push_back(std::string("ctrl\x01char"));
    keys.push_back("cr\rkey");
  }
  for (const auto& key : keys) {
    std::string body = "body of " + key;
    auto put = Put(*store_, bucket_, key, body);
    ASSERT_TRUE(put.ok()) << key << ": " << put.status().ToString();
    auto head = store_->HeadObject(bucket_, key);
    ASSERT_TRUE(head.ok()) << key << ": " << head.status().ToString();
    EXPECT_EQ(head->size, body.size()) << key;
    auto got = Get(*store_, bucket_, key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status().ToString();
    EXPECT_EQ(*got, body) << key;
  }
  std::vector<std::string> listed = ListAll("", "", 3);
  std::vector<std::string> expected = keys;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(listed, expected);
  for (const auto& key : keys) {
    if (!traits_.url_encoded_copy_source && key.find_first_of("+?#&=,;:@$") != std::string::npos) {
      continue;
    }
    CopyObjectRequest copy;
    copy.src_bucket = bucket_;
    copy.src_key = key;
    copy.dst_bucket = bucket_;
    copy.dst_key = "copies/" + key;
    auto copied = store_->CopyObject(copy);
    ASSERT_TRUE(copied.ok()) << key << ": " << copied.status().ToString();
    auto got = Get(*store_, bucket_, "copies/" + key);
    ASSERT_TRUE(got.ok()) << key;
    EXPECT_EQ(*got, "body of " + key);
  }
  auto deleted = store_->DeleteObjects(bucket_, keys);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_TRUE((*deleted)[i].ok()) << keys[i];
  for (const auto& key : keys) EXPECT_TRUE(store_->HeadObject(bucket_, key).status().IsNotFound());
}

TEST_P(S3StoreTest, ListingPagesByLast) {
  std::vector<std::string> keys;
  for (int d = 0; d < 3; ++d) {
    for (int f = 0; f < 4; ++f) keys.push_back("d" + std::to_string(d) + "/f" + std::to_string(f));
  }
  keys.push_back("top1");
  keys.push_back("top2");
  std::vector<std::thread> threads;
  for (const auto& k : keys) ASSERT_TRUE(Put(*store_, bucket_, k, k).ok());
  std::vector<std::string> expected = keys;
  std::sort(expected.begin(), expected.end());
  for (int page : {1, 2, 5, 1000}) EXPECT_EQ(ListAll("", "", page), expected) << page;
  // With a delimiter each directory is one common prefix; paging by `last` across a common
  // prefix must not return its keys again (the continuation token carries the position).
  std::vector<std::string> grouped = {"d0/", "d1/", "d2/", "top1", "top2"};
  for (int page : {1, 2, 3, 1000}) EXPECT_EQ(ListAll("", "/", page), grouped) << page;
  EXPECT_EQ(ListAll("d1/", "/", 1), (std::vector<std::string>{"d1/f0", "d1/f1", "d1/f2", "d1/f3"}));
  // A fresh store has no token for `last`: StartAfter past the whole common prefix.
  auto fresh = Open(OptionsFor(*peer_, peer_->port()));
  ListObjectsRequest req;
  req.bucket = bucket_;
  req.delimiter = "/";
  req.start_after = "d1/";
  req.max_keys = 2;
  auto r = fresh->ListObjects(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_GE(r->common_prefixes.size(), 1u);
  EXPECT_EQ(r->common_prefixes[0], "d2/");
  ASSERT_GE(r->objects.size(), 1u);  // s3rver counts only keys against max-keys
  EXPECT_EQ(r->objects[0].key, "top1");
  EXPECT_EQ(r->objects[0].size, 4u);
  EXPECT_EQ(r->objects[0].etag, Md5Hex("top1"));
}

TEST_P(S3StoreTest, StreamingWriterGoesMultipart) {
  // 17.5 MiB appended in uneven pieces with 5 MiB parts: 4 parts, the last one short.
  std::string body = Bytes(17 * MiB + MiB / 2, 1);
  PutObjectRequest req;
  req.bucket = bucket_;
  req.key = "big/streamed";
  req.headers.user_metadata = {{"kind", "streamed"}};
  auto writer = store_->PutObject(req);
  ASSERT_TRUE(writer.ok());
  for (size_t off = 0; off < body.size();) {
    size_t n = std::min<size_t>(body.size() - off, 777'777);
    ASSERT_TRUE((*writer)->Append(std::span<const char>(body.data() + off, n)).ok());
    off += n;
  }
  auto meta = (*writer)->Commit();
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->size, body.size());
  EXPECT_EQ(meta->parts_count, 4);
  EXPECT_EQ(meta->part_sizes,
            (std::vector<uint64_t>{5 * MiB, 5 * MiB, 5 * MiB, 2 * MiB + MiB / 2}));
  if (traits_.multipart_etag_suffix) {
    EXPECT_TRUE(meta->etag.ends_with("-4")) << meta->etag;
  }
  if (traits_.checksums) {
    ASSERT_TRUE(meta->checksum);
    EXPECT_TRUE(meta->checksum->composite);
  }
  auto got = Get(*store_, bucket_, "big/streamed");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == body);
  auto head = store_->HeadObject(bucket_, "big/streamed");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->headers.user_metadata.at("kind"), "streamed");
  if (traits_.multipart_admin) {
    ListUploadsRequest uploads;
    uploads.bucket = bucket_;
    auto open = store_->ListMultipartUploads(uploads);
    ASSERT_TRUE(open.ok());
    EXPECT_TRUE(open->uploads.empty()) << "the upload was completed";
  }

  // Exactly one part size: one PUT, no multipart.
  std::string one = Bytes(5 * MiB, 2);
  auto single = Put(*store_, bucket_, "big/single", one);
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->parts_count, 0);
  EXPECT_EQ(single->etag, Md5Hex(one));

  // A declared size that is not met fails before anything is stored.
  PutObjectRequest sized;
  sized.size = 10;
  auto short_put = Put(*store_, bucket_, "big/short", "12345", sized);
  EXPECT_EQ(short_put.status().s3_code(), "IncompleteBody");
  EXPECT_TRUE(store_->HeadObject(bucket_, "big/short").status().IsNotFound());

  // A writer dropped without Commit leaves no upload behind.
  {
    auto dropped = store_->PutObject(PutObjectRequest{bucket_, "big/dropped"});
    ASSERT_TRUE(dropped.ok());
    ASSERT_TRUE((*dropped)->Append(std::span<const char>(body.data(), 11 * MiB)).ok());
  }
  EXPECT_TRUE(store_->HeadObject(bucket_, "big/dropped").status().IsNotFound());
  if (traits_.multipart_admin) {
    auto open = store_->ListMultipartUploads(ListUploadsRequest{bucket_});
    ASSERT_TRUE(open.ok());
    EXPECT_TRUE(open->uploads.empty()) << "the dropped writer aborted its upload";
  }
}

TEST_P(S3StoreTest, AppendFileSendsFromTheDescriptor) {
  std::string content = Bytes(13 * MiB + 12345, 3);
  TempFile file(content);
  // Small range: one PUT straight from the file.
  PutObjectRequest small;
  small.bucket = bucket_;
  small.key = "file/small";
  auto w = store_->PutObject(small);
  ASSERT_TRUE(w.ok());
  uint64_t sent_before = store_->stats().bytes_sent;
  ASSERT_TRUE((*w)->AppendFile(file.fd, 1000, 100'000).ok());
  auto m = (*w)->Commit();
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->etag, Md5Hex(content.substr(1000, 100'000)));
  EXPECT_EQ(store_->stats().bytes_sent - sent_before, 100'000u);
  // Large range with a declared size: multipart, every part a range of the file.
  PutObjectRequest large;
  large.bucket = bucket_;
  large.key = "file/large";
  large.size = content.size();
  w = store_->PutObject(large);
  ASSERT_TRUE(w.ok());
  sent_before = store_->stats().bytes_sent;
  ASSERT_TRUE((*w)->AppendFile(file.fd, 0, content.size()).ok());
  m = (*w)->Commit();
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->parts_count, 3);
  // Each byte once, plus the small XML body of CompleteMultipartUpload.
  EXPECT_GE(store_->stats().bytes_sent - sent_before, content.size());
  EXPECT_LT(store_->stats().bytes_sent - sent_before, content.size() + 1024);
  auto got = Get(*store_, bucket_, "file/large");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == content);
  // Memory and file pieces mixed in one object.
  w = store_->PutObject(PutObjectRequest{bucket_, "file/mixed"});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append(std::span<const char>("head:", 5)).ok());
  ASSERT_TRUE((*w)->AppendFile(file.fd, 0, 6 * MiB).ok());
  ASSERT_TRUE((*w)->Append(std::span<const char>(":tail", 5)).ok());
  m = (*w)->Commit();
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  got = Get(*store_, bucket_, "file/mixed");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == "head:" + content.substr(0, 6 * MiB) + ":tail");
}

INSTANTIATE_TEST_SUITE_P(Peers, S3StoreTest, ::testing::Values("ferry", "s3rver"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ferry::testing

int main(int argc, char** argv) {
  // Peers and the fault proxy close connections mid-body on purpose: a write to one must fail
  // with EPIPE rather than end the test binary.
  std::signal(SIGPIPE, SIG_IGN);
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new ferry::testing::Peers());
  return RUN_ALL_TESTS();
}
