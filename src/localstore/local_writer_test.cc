// LocalStore writers: digests and sizes verified before anything is stored, conditional
// puts, writers given up, and AppendFile.
#include "localstore/local_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "core/checksum.h"
#include "localstore/local_store.h"
#include "testing/store_test_util.h"

namespace ferry {
namespace {

using testing::Bytes;
using testing::CountBlobFiles;
using testing::Md5Hex;
using testing::Put;
using testing::ReadAll;
using testing::StoreFixture;

TEST(LocalWriter, DigestsAreVerifiedAndNothingStoredOnMismatch) {
  StoreFixture f;
  auto& s = *f.store;
  std::string body = Bytes(300000, 5);
  PutObjectRequest req;
  req.content_md5 = Base64Encode(Digest(DigestKind::kMd5, "other"));
  EXPECT_EQ(Put(s, "bkt", "k", body, req).status().s3_code(), "BadDigest");
  req.content_md5 = "!!notbase64";
  EXPECT_EQ(Put(s, "bkt", "k", body, req).status().s3_code(), "InvalidDigest");
  req.content_md5 = Base64Encode(Digest(DigestKind::kMd5, body));
  ASSERT_TRUE(Put(s, "bkt", "ok", body, req).ok());

  PutObjectRequest c;
  c.checksum =
      ObjectChecksum{ChecksumAlgorithm::kCrc32c, Base64Encode(Digest(DigestKind::kCrc32c, "x"))};
  Status bad = Put(s, "bkt", "k", body, c).status();
  EXPECT_EQ(bad.s3_code(), "BadDigest");
  EXPECT_EQ(bad.message(), "The CRC32C you specified did not match the calculated checksum.");
  EXPECT_EQ(s.HeadObject("bkt", "k").status().s3_code(), "NoSuchKey");
  EXPECT_EQ(CountBlobFiles(f.dir.path() + "/root/bkt"), 1u);  // only "ok"

  c.checksum->value = Base64Encode(Digest(DigestKind::kCrc32c, body));
  auto meta = Put(s, "bkt", "k", body, c);
  ASSERT_TRUE(meta.ok());
  ASSERT_TRUE(meta->checksum.has_value());
  EXPECT_EQ(meta->checksum->value, c.checksum->value);
  EXPECT_EQ(s.HeadObject("bkt", "k")->checksum->algorithm, ChecksumAlgorithm::kCrc32c);

  // Algorithm only: computed and stored.
  PutObjectRequest alg;
  alg.checksum = ObjectChecksum{ChecksumAlgorithm::kSha256, ""};
  meta = Put(s, "bkt", "sha", "abc", alg);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->checksum->value, Base64Encode(Digest(DigestKind::kSha256, "abc")));

  // A trailer arriving after the body, with an algorithm not streamed: re-read and verified.
  for (std::string data : {std::string("inline body"), Bytes(500000, 9)}) {
    auto w = s.PutObject({"bkt", "trailer"});
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(std::span<const char>(data.data(), data.size())).ok());
    (*w)->SetExpectedChecksum(
        {ChecksumAlgorithm::kCrc32, Base64Encode(Digest(DigestKind::kCrc32, data))});
    auto m = (*w)->Commit();
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->checksum->algorithm, ChecksumAlgorithm::kCrc32);
  }

  // Size given and not met.
  PutObjectRequest sized;
  sized.size = 10;
  EXPECT_EQ(Put(s, "bkt", "short", "12345", sized).status().s3_code(), "IncompleteBody");
  EXPECT_EQ(Put(s, "bkt", "long", "12345678901", sized).status().s3_code(), "IncompleteBody");
  EXPECT_EQ(s.HeadObject("bkt", "short").status().s3_code(), "NoSuchKey");
}

TEST(LocalWriter, AppendFileCopiesFromAFile) {
  StoreFixture f;
  std::string data = Bytes(3 << 20, 8);
  std::string path = f.dir.path() + "/source";
  {
    FILE* out = std::fopen(path.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    ASSERT_EQ(std::fwrite(data.data(), 1, data.size(), out), data.size());
    std::fclose(out);
  }
  int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  for (uint64_t length : {uint64_t{10}, uint64_t{50000}, uint64_t{(3 << 20) - 100}}) {
    PutObjectRequest req{"bkt", "file" + std::to_string(length)};
    req.size = length;
    auto w = f.store->PutObject(req);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->AppendFile(fd, 100, length).ok());
    auto meta = (*w)->Commit();
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    EXPECT_EQ(meta->etag, Md5Hex(data.substr(100, length)));
    EXPECT_TRUE(*ReadAll(*f.store, "bkt", req.key) == data.substr(100, length)) << length;
  }
  auto w = f.store->PutObject({"bkt", "too-long", {}, 5});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->AppendFile(fd, 0, 6).s3_code(), "IncompleteBody");
  ::close(fd);
}

TEST(LocalWriter, UncommittedWriterLeavesNothing) {
  StoreFixture f;
  {
    auto w = f.store->PutObject({"bkt", "k"});
    ASSERT_TRUE(w.ok());
    std::string data = Bytes(1 << 20, 3);
    ASSERT_TRUE((*w)->Append(std::span<const char>(data.data(), data.size())).ok());
    EXPECT_EQ(CountBlobFiles(f.dir.path() + "/root/bkt"), 1u);
  }
  EXPECT_EQ(CountBlobFiles(f.dir.path() + "/root/bkt"), 0u);
  EXPECT_EQ(f.store->HeadObject("bkt", "k").status().s3_code(), "NoSuchKey");
}

TEST(LocalWriter, ConditionalPut) {
  StoreFixture f;
  auto& s = *f.store;
  PutObjectRequest once;
  once.if_none_match_star = true;
  ASSERT_TRUE(Put(s, "bkt", "k", "first", once).ok());
  Status again = Put(s, "bkt", "k", "second", once).status();
  EXPECT_EQ(again.s3_code(), "PreconditionFailed");
  EXPECT_EQ(again.http_status(), 412);
  EXPECT_EQ(*ReadAll(s, "bkt", "k"), "first");

  PutObjectRequest match;
  match.if_match_etag = "\"" + Md5Hex("first") + "\"";
  ASSERT_TRUE(Put(s, "bkt", "k", "third", match).ok());
  EXPECT_EQ(Put(s, "bkt", "k", "fourth", match).status().s3_code(), "PreconditionFailed");
  EXPECT_EQ(*ReadAll(s, "bkt", "k"), "third");
  EXPECT_EQ(Put(s, "bkt", "missing", "x", match).status().s3_code(), "NoSuchKey");
}

}  // namespace
}  // namespace ferry
