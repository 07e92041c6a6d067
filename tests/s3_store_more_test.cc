// S3Store against real servers, continued: the multipart API, ranged and parallel reads,
// pinned reads, batch deletes, checksums, credentials, copies and addressing styles.
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

TEST_P(S3StoreTest, MultipartApi) {
  CreateMultipartRequest create;
  create.bucket = bucket_;
  create.key = "mp/object";
  create.headers.content_type = "application/x-test";
  create.checksum_algorithm =
      traits_.checksums ? ChecksumAlgorithm::kCrc32c : ChecksumAlgorithm::kNone;
  auto upload = store_->CreateMultipartUpload(create);
  ASSERT_TRUE(upload.ok()) << upload.status().ToString();
  std::vector<std::string> bodies = {Bytes(5 * MiB, 10), Bytes(5 * MiB, 11), Bytes(1234, 12)};
  TempFile file(bodies[1]);
  std::vector<CompletedPart> parts;
  for (int i = 0; i < 3; ++i) {
    UploadPartRequest up;
    up.bucket = bucket_;
    up.key = create.key;
    up.upload_id = upload->upload_id;
    up.part_number = i + 1;
    up.size = bodies[i].size();
    auto w = store_->UploadPart(up);
    ASSERT_TRUE(w.ok());
    if (i == 1) {
      ASSERT_TRUE((*w)->AppendFile(file.fd, 0, bodies[1].size()).ok());  // zero-copy part
    } else {
      ASSERT_TRUE((*w)->Append(std::span<const char>(bodies[i].data(), bodies[i].size())).ok());
    }
    auto m = (*w)->Commit();
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->etag, Md5Hex(bodies[i]));
    EXPECT_EQ(m->size, bodies[i].size());
    parts.push_back({i + 1, m->etag, m->checksum ? m->checksum->value : ""});
  }
  if (traits_.multipart_admin) {
    ListPartsRequest lp;
    lp.bucket = bucket_;
    lp.key = create.key;
    lp.upload_id = upload->upload_id;
    lp.max_parts = 2;
    auto listed = store_->ListParts(lp);
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    ASSERT_EQ(listed->parts.size(), 2u);
    EXPECT_TRUE(listed->truncated);
    EXPECT_EQ(listed->parts[1].etag, Md5Hex(bodies[1]));
    EXPECT_EQ(listed->parts[1].size, 5 * MiB);
    EXPECT_EQ(listed->checksum_algorithm, ChecksumAlgorithm::kCrc32c);
    lp.part_number_marker = listed->next_part_number_marker;
    listed = store_->ListParts(lp);
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->parts.size(), 1u);
    EXPECT_EQ(listed->parts[0].part_number, 3);
    auto uploads = store_->ListMultipartUploads(ListUploadsRequest{bucket_});
    ASSERT_TRUE(uploads.ok()) << uploads.status().ToString();
    ASSERT_EQ(uploads->uploads.size(), 1u);
    EXPECT_EQ(uploads->uploads[0].key, "mp/object");
    EXPECT_EQ(uploads->uploads[0].upload_id, upload->upload_id);
  }
  CompleteMultipartRequest complete;
  complete.bucket = bucket_;
  complete.key = create.key;
  complete.upload_id = upload->upload_id;
  complete.parts = parts;
  auto done = store_->CompleteMultipartUpload(complete);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->size, 10 * MiB + 1234);
  if (traits_.multipart_etag_suffix) {
    EXPECT_TRUE(done->etag.ends_with("-3")) << done->etag;
  }
  auto got = Get(*store_, bucket_, "mp/object");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == bodies[0] + bodies[1] + bodies[2]);
  auto head = store_->HeadObject(bucket_, "mp/object");
  EXPECT_EQ(head->headers.content_type, "application/x-test");

  if (traits_.multipart_admin) {
    auto other = store_->CreateMultipartUpload(CreateMultipartRequest{bucket_, "mp/aborted"});
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE(store_->AbortMultipartUpload(bucket_, "mp/aborted", other->upload_id).ok());
    ListPartsRequest lp;
    lp.bucket = bucket_;
    lp.key = "mp/aborted";
    lp.upload_id = other->upload_id;
    auto gone = store_->ListParts(lp);
    EXPECT_EQ(gone.status().s3_code(), "NoSuchUpload") << gone.status().ToString();
    // Too small a part is refused at Complete, with S3's code.
    auto small = store_->CreateMultipartUpload(CreateMultipartRequest{bucket_, "mp/small"});
    std::vector<CompletedPart> small_parts;
    for (int i = 1; i <= 2; ++i) {
      auto w = store_->UploadPart(UploadPartRequest{bucket_, "mp/small", small->upload_id, i});
      ASSERT_TRUE((*w)->Append(std::span<const char>("tiny", 4)).ok());
      auto m = (*w)->Commit();
      ASSERT_TRUE(m.ok());
      small_parts.push_back({i, m->etag, ""});
    }
    auto refused = store_->CompleteMultipartUpload(
        CompleteMultipartRequest{bucket_, "mp/small", small->upload_id, small_parts});
    EXPECT_EQ(refused.status().s3_code(), "EntityTooSmall") << refused.status().ToString();
    EXPECT_TRUE(store_->AbortMultipartUpload(bucket_, "mp/small", small->upload_id).ok());
  }
}

TEST_P(S3StoreTest, RangedAndParallelReads) {
  std::string body = Bytes(6 * MiB + 4321, 20);
  ASSERT_TRUE(Put(*store_, bucket_, "ranged", body).ok());
  auto reader = store_->OpenObject(bucket_, "ranged");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ObjectReader& r = **reader;
  EXPECT_EQ(r.meta().size, body.size());
  std::mt19937_64 rng(7);
  for (int i = 0; i < 40; ++i) {
    uint64_t off = rng() % (body.size() + 10);
    size_t len = static_cast<size_t>(rng() % (700 * 1024)) + 1;
    std::string buf(len, '\0');
    auto n = r.ReadAt(off, std::span<char>(buf.data(), len));
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    size_t want = off >= body.size() ? 0 : std::min<size_t>(len, body.size() - off);
    ASSERT_EQ(*n, want) << off;
    EXPECT_TRUE(std::string_view(buf.data(), *n) == std::string_view(body).substr(off, want))
        << off;
  }
  // Four threads read interleaved 512 KiB ranges of the same reader at once.
  std::string assembled(body.size(), '\0');
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  const uint64_t piece = 512 * 1024;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t off = t * piece; off < body.size(); off += 4 * piece) {
        size_t len = static_cast<size_t>(std::min<uint64_t>(piece, body.size() - off));
        auto n = r.ReadAt(off, std::span<char>(assembled.data() + off, len));
        if (!n.ok() || *n != len) failed = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(failed);
  EXPECT_TRUE(assembled == body);
  // A sequential whole read is checked against the MD5 ETag as the bytes go by.
  auto again = store_->OpenObject(bucket_, "ranged");
  ASSERT_TRUE(again.ok());
  auto all = ReadAll(**again, 300 * 1024);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_TRUE(*all == body);
}

TEST_P(S3StoreTest, PinnedReadsFailAfterOverwrite) {
  if (!traits_.conditional_get) GTEST_SKIP() << GetParam() << " ignores If-Match on GET";
  std::string v1 = Bytes(3 * MiB, 30), v2 = Bytes(3 * MiB, 31);
  ASSERT_TRUE(Put(*store_, bucket_, "pinned", v1).ok());
  auto reader = store_->OpenObject(bucket_, "pinned");
  ASSERT_TRUE(reader.ok());
  std::string buf(1000, '\0');
  ASSERT_TRUE((*reader)->ReadAt(0, std::span<char>(buf.data(), buf.size())).ok());
  ASSERT_TRUE(Put(*store_, bucket_, "pinned", v2).ok());
  // The prefetched first MiB is still the opened version; beyond it the pin fails.
  auto early = (*reader)->ReadAt(100, std::span<char>(buf.data(), buf.size()));
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(std::string_view(buf.data(), 1000), std::string_view(v1).substr(100, 1000));
  uint64_t retries = store_->stats().retries;
  auto late = (*reader)->ReadAt(2 * MiB, std::span<char>(buf.data(), buf.size()));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), Status::Code::kPreconditionFailed);
  EXPECT_EQ(late.status().http_status(), 412);
  EXPECT_NE(late.status().message().find("object changed"), std::string::npos);
  EXPECT_EQ(store_->stats().retries, retries) << "412 is not retried";
}

TEST_P(S3StoreTest, BatchDeleteBeyondAThousand) {
  constexpr int kKeys = 1500;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back("many/" + std::to_string(i));
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i; (i = next++) < kKeys;) {
        if (!Put(*store_, bucket_, keys[i], "x").ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  keys.push_back("many/never-existed");
  uint64_t before = store_->stats().requests;
  uint64_t retries = store_->stats().retries;
  auto deleted = store_->DeleteObjects(bucket_, keys);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  // Two DeleteObjects requests, and the retries a racy server needed (s3rver deletes the keys
  // of one request concurrently and sometimes trips over its own directories: 500).
  EXPECT_EQ(store_->stats().requests - before - (store_->stats().retries - retries), 2u);
  ASSERT_EQ(deleted->size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE((*deleted)[i].ok()) << keys[i] << ": " << (*deleted)[i].ToString();
  }
  EXPECT_TRUE(ListAll("many/").empty());
}

TEST_P(S3StoreTest, ChecksumsAndDigests) {
  std::string body = "checksummed body";
  // An expected checksum that does not match: refused before anything is stored.
  PutObjectRequest wrong;
  wrong.checksum = ObjectChecksum{ChecksumAlgorithm::kCrc32c, Base64Encode(std::string(4, '\0'))};
  auto bad = Put(*store_, bucket_, "sum/bad", body, wrong);
  EXPECT_EQ(bad.status().s3_code(), "BadDigest") << bad.status().ToString();
  EXPECT_TRUE(store_->HeadObject(bucket_, "sum/bad").status().IsNotFound());
  PutObjectRequest right;
  right.checksum =
      ObjectChecksum{ChecksumAlgorithm::kCrc32c, Base64Encode(Digest(DigestKind::kCrc32c, body))};
  EXPECT_TRUE(Put(*store_, bucket_, "sum/good", body, right).ok());
  // Other algorithms on request.
  PutObjectRequest sha;
  sha.checksum = ObjectChecksum{ChecksumAlgorithm::kSha256, ""};
  auto with_sha = Put(*store_, bucket_, "sum/sha", body, sha);
  ASSERT_TRUE(with_sha.ok()) << with_sha.status().ToString();
  if (traits_.checksums) {
    EXPECT_EQ(with_sha->checksum->value, Base64Encode(Digest(DigestKind::kSha256, body)));
    auto head = store_->HeadObject(bucket_, "sum/sha");
    ASSERT_TRUE(head->checksum);
    EXPECT_EQ(head->checksum->algorithm, ChecksumAlgorithm::kSha256);
  }
  // A wrong Content-MD5 on a single PUT is the server's to refuse (the caller said so).
  PutObjectRequest md5;
  md5.content_md5 = Base64Encode(Digest(DigestKind::kMd5, "something else"));
  auto refused = Put(*store_, bucket_, "sum/md5", body, md5);
  EXPECT_EQ(refused.status().code(), Status::Code::kCorruption) << refused.status().ToString();
  md5.content_md5 = Base64Encode(Digest(DigestKind::kMd5, body));
  EXPECT_TRUE(Put(*store_, bucket_, "sum/md5", body, md5).ok());
  // Checksums off: the MD5 ETag still verifies the upload.
  S3StoreOptions plain = OptionsFor(*peer_, peer_->port());
  plain.checksum_algorithm = ChecksumAlgorithm::kNone;
  auto no_sums = Open(plain);
  auto m = Put(*no_sums, bucket_, "sum/plain", body);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->checksum);
  EXPECT_EQ(m->etag, Md5Hex(body));
}

TEST_P(S3StoreTest, WrongCredentialsAreClearAndNotRetried) {
  ASSERT_TRUE(Put(*store_, bucket_, "secret", "s").ok());
  S3StoreOptions o = OptionsFor(*peer_, peer_->port());
  o.credentials.access_key_id = "NOSUCHKEY";
  auto stranger = Open(o);
  auto head = stranger->HeadObject(bucket_, "secret");
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(head.status().http_status(), 403);
  auto get = stranger->OpenObject(bucket_, "secret");
  ASSERT_FALSE(get.ok());
  EXPECT_EQ(get.status().s3_code(), "InvalidAccessKeyId") << get.status().ToString();
  EXPECT_NE(get.status().message().find("GetObject s3://" + bucket_ +
                                        "/secret: 403 "
                                        "InvalidAccessKeyId"),
            std::string::npos)
      << get.status().message();
  EXPECT_EQ(stranger->stats().retries, 0u);

  if (!traits_.verifies_signatures) return;
  o = OptionsFor(*peer_, peer_->port());
  o.credentials.secret_access_key = "wrong-secret";
  auto forger = Open(o);
  auto put = Put(*forger, bucket_, "forged", "f");
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().s3_code(), "SignatureDoesNotMatch") << put.status().ToString();
  EXPECT_NE(put.status().message().find("PutObject s3://" + bucket_ +
                                        "/forged: 403 "
                                        "SignatureDoesNotMatch"),
            std::string::npos)
      << put.status().message();
  EXPECT_FALSE(put.status().retryable());
  EXPECT_EQ(forger->stats().retries, 0u);
  EXPECT_EQ(forger->stats().requests, 1u);
}

TEST_P(S3StoreTest, CopyObject) {
  PutObjectRequest req;
  req.headers.content_type = "text/x-src";
  req.headers.user_metadata = {{"origin", "src"}};
  std::string body = Bytes(300'000, 40);
  ASSERT_TRUE(Put(*store_, bucket_, "copy/src", body, req).ok());
  CopyObjectRequest copy;
  copy.src_bucket = bucket_;
  copy.src_key = "copy/src";
  copy.dst_bucket = bucket_;
  copy.dst_key = "copy/same-meta";
  auto same = store_->CopyObject(copy);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->etag, Md5Hex(body));
  EXPECT_EQ(same->size, body.size());
  auto head = store_->HeadObject(bucket_, "copy/same-meta");
  EXPECT_EQ(head->headers.user_metadata.at("origin"), "src");
  EXPECT_EQ(head->headers.content_type, "text/x-src");
  copy.dst_key = "copy/new-meta";
  copy.replace_metadata = true;
  copy.headers.content_type = "text/x-dst";
  copy.headers.user_metadata = {{"origin", "replaced"}};
  ASSERT_TRUE(store_->CopyObject(copy).ok());
  head = store_->HeadObject(bucket_, "copy/new-meta");
  EXPECT_EQ(head->headers.user_metadata.at("origin"), "replaced");
  EXPECT_EQ(head->headers.content_type, "text/x-dst");
  copy.src_key = "copy/missing";
  EXPECT_TRUE(store_->CopyObject(copy).status().IsNotFound());

  if (!traits_.upload_part_copy) return;
  // Above the threshold: UploadPartCopy of parallel ranges, source pinned by ETag.
  S3StoreOptions o = OptionsFor(*peer_, peer_->port());
  o.multipart_copy_threshold = 8 * MiB;
  o.copy_part_size = 5 * MiB;
  auto store = Open(o);
  std::string big = Bytes(12 * MiB + 7, 41);
  ASSERT_TRUE(Put(*store, bucket_, "copy/big", big, req).ok());
  CopyObjectRequest mp;
  mp.src_bucket = bucket_;
  mp.src_key = "copy/big";
  mp.dst_bucket = bucket_;
  mp.dst_key = "copy/big-copy";
  auto copied = store->CopyObject(mp);
  ASSERT_TRUE(copied.ok()) << copied.status().ToString();
  EXPECT_EQ(copied->parts_count, 3);
  EXPECT_TRUE(copied->etag.ends_with("-3")) << copied->etag;
  auto got = Get(*store, bucket_, "copy/big-copy");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == big);
  head = store->HeadObject(bucket_, "copy/big-copy");
  EXPECT_EQ(head->headers.user_metadata.at("origin"), "src") << "COPY keeps the metadata";
  mp.if_match = "\"0123456789abcdef0123456789abcdef\"";
  EXPECT_EQ(store->CopyObject(mp).status().code(), Status::Code::kPreconditionFailed);
}

TEST_P(S3StoreTest, VirtualHostedAddressing) {
  if (GetParam() != "ferry") GTEST_SKIP() << "only ferry serve answers for BUCKET.localhost";
  S3StoreOptions o = OptionsFor(*peer_, peer_->port());
  o.endpoint = "http://localhost:" + std::to_string(peer_->port());
  o.addressing = AddressingStyle::kVirtualHosted;
  auto vhost = Open(o);
  ASSERT_TRUE(Put(*vhost, bucket_, "v/a b", "virtual").ok());
  auto got = Get(*store_, bucket_, "v/a b");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "virtual");
  auto listed = vhost->ListObjects(ListObjectsRequest{bucket_, "v/"});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->objects.size(), 1u);
  EXPECT_EQ(listed->objects[0].key, "v/a b");
}

}  // namespace
}  // namespace ferry::testing
