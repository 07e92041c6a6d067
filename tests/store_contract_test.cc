// One contract for every ObjectStore: LocalStore, S3Store (against ferry serve's S3Server in
// this process) and MemoryStore must mean the same by every call: results, S3 error codes,
// listing order and paging, ETags, checksums, conditions and multipart rules. A layer tested
// over MemoryStore is then tested over what the real stores do.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/checksum.h"
#include "localstore/local_store.h"
#include "s3_peers.h"
#include "s3client/s3_store.h"
#include "testing/memory_store.h"

namespace ferry::testing {
namespace {

constexpr uint64_t MiB = 1 << 20;

std::string Bytes(size_t n, uint32_t seed) {
  std::string out(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return out;
}

std::string Md5Hex(std::string_view data) {
  return HexEncode(Digest(DigestKind::kMd5, data));
}

// The in-process ferry serve the S3Store case talks to, started once for the binary.
class FerryServe : public ::testing::Environment {
 public:
  static inline FerryServe* instance = nullptr;
  void SetUp() override { instance = this; }
  void TearDown() override { peer_.reset(); }
  Peer* Get() {
    if (!peer_) {
      auto started = StartFerryPeer();
      if (!started.ok()) return nullptr;
      peer_ = std::move(started).value();
    }
    return peer_.get();
  }

 private:
  std::unique_ptr<Peer> peer_;
};

class StoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      store_ = std::make_unique<MemoryStore>();
    } else if (GetParam() == "local") {
      LocalStoreOptions options;
      options.fsync = false;
      auto store = LocalStore::Open(dir_.path(), SystemClock(), options);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      store_ = std::move(store).value();
    } else {
      Peer* peer = FerryServe::instance->Get();
      ASSERT_NE(peer, nullptr) << "ferry serve did not start";
      S3StoreOptions o;
      o.endpoint = "http://127.0.0.1:" + std::to_string(peer->port());
      o.credentials = peer->credentials();
      o.retry.sleep = [](int64_t) {};
      o.part_size = 5 * MiB;
      auto store = S3Store::Open(o);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      store_ = std::move(store).value();
    }
    static int counter = 0;
    bucket_ = "contract-" + std::to_string(++counter);
    ASSERT_TRUE(store_->CreateBucket(bucket_).ok());
  }

  Result<ObjectMeta> Put(std::string_view key, std::string_view body, PutObjectRequest req = {}) {
    req.bucket = bucket_;
    req.key = std::string(key);
    FERRY_ASSIGN_OR_RETURN(auto writer, store_->PutObject(req));
    FERRY_RETURN_IF_ERROR(writer->Append(std::span<const char>(body.data(), body.size())));
    return writer->Commit();
  }

  Result<std::string> Get(std::string_view key) {
    FERRY_ASSIGN_OR_RETURN(auto reader, store_->OpenObject(bucket_, key));
    std::string out(reader->meta().size, '\0');
    FERRY_ASSIGN_OR_RETURN(size_t n, reader->ReadAt(0, std::span<char>(out)));
    out.resize(n);
    return out;
  }

  // Keys and common prefixes of a whole listing, paged by max_keys.
  std::vector<std::string> List(const std::string& prefix, const std::string& delimiter,
                                int max_keys, int* pages = nullptr) {
    std::vector<std::string> out;
    ListObjectsRequest req{bucket_, prefix, delimiter, "", max_keys};
    for (int n = 1;; ++n) {
      auto page = store_->ListObjects(req);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) return out;
      std::vector<std::string> entries;
      for (const auto& o : page->objects) entries.push_back(o.key);
      for (const auto& p : page->common_prefixes) entries.push_back(p);
      std::sort(entries.begin(), entries.end());
      out.insert(out.end(), entries.begin(), entries.end());
      if (pages) *pages = n;
      if (!page->truncated) return out;
      req.start_after = page->last;
    }
  }

  ScratchDir dir_;
  std::unique_ptr<ObjectStore> store_;
  std::string bucket_;
};

std::string CodeOf(const Status& s) {
  return s.ok() ? "OK" : s.s3_code();
}
template <typename T>
std::string CodeOf(const Result<T>& r) {
  return CodeOf(r.status());
}

TEST_P(StoreContract, Buckets) {
  EXPECT_EQ(CodeOf(store_->CreateBucket(bucket_)), "BucketAlreadyOwnedByYou");
  EXPECT_EQ(CodeOf(store_->CreateBucket("Not_A_Bucket")), "InvalidBucketName");
  EXPECT_EQ(CodeOf(store_->HeadBucket("contract-missing")), "NoSuchBucket");
  EXPECT_EQ(CodeOf(store_->DeleteBucket("contract-missing")), "NoSuchBucket");
  auto buckets = store_->ListBuckets();
  ASSERT_TRUE(buckets.ok());
  EXPECT_TRUE(std::any_of(buckets->begin(), buckets->end(),
                          [&](const BucketInfo& b) { return b.name == bucket_; }));
  ASSERT_TRUE(Put("k", "v").ok());
  EXPECT_EQ(CodeOf(store_->DeleteBucket(bucket_)), "BucketNotEmpty");
  ASSERT_TRUE(store_->DeleteObject(bucket_, "k").ok());
  EXPECT_TRUE(store_->DeleteBucket(bucket_).ok());
  EXPECT_EQ(CodeOf(store_->HeadBucket(bucket_)), "NoSuchBucket");
  EXPECT_EQ(CodeOf(Put("k", "v")), "NoSuchBucket");
  // The one difference the protocol forces: a HEAD's 404 has no body to say which is missing.
  const std::string head = CodeOf(store_->HeadObject(bucket_, "k"));
  if (GetParam() == "s3") {
    EXPECT_TRUE(head == "NoSuchBucket" || head == "NoSuchKey") << head;
  } else {
    EXPECT_EQ(head, "NoSuchBucket");
  }
}

TEST_P(StoreContract, PutHeadReadAndMetadata) {
  const std::string body = Bytes(300'000, 1);
  PutObjectRequest req;
  req.headers.content_type = "application/x-test";
  req.headers.user_metadata = {{"file-mode", "0644"}, {"owner", "ml"}};
  auto put = Put("dir/a b+c.bin", body, req);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->etag, Md5Hex(body));
  EXPECT_EQ(put->size, body.size());
  auto head = store_->HeadObject(bucket_, "dir/a b+c.bin");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->etag, Md5Hex(body));
  EXPECT_EQ(head->size, body.size());
  EXPECT_GT(head->last_modified_ns, 0);
  EXPECT_EQ(head->headers.content_type, "application/x-test");
  EXPECT_EQ(head->headers.user_metadata, req.headers.user_metadata);
  auto reader = store_->OpenObject(bucket_, "dir/a b+c.bin");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->meta().etag, Md5Hex(body));
  std::string part(1000, '\0');
  ASSERT_EQ(*(*reader)->ReadAt(299'500, std::span<char>(part)), 500u);
  EXPECT_EQ(part.substr(0, 500), body.substr(299'500));
  EXPECT_EQ(*(*reader)->ReadAt(body.size(), std::span<char>(part)), 0u);
  EXPECT_EQ(*Get("dir/a b+c.bin"), body);
  ASSERT_TRUE(Put("empty", "").ok());
  EXPECT_EQ(*Get("empty"), "");
  EXPECT_EQ(store_->HeadObject(bucket_, "empty")->etag, Md5Hex(""));
  EXPECT_EQ(CodeOf(store_->HeadObject(bucket_, "missing")), "NoSuchKey");
  EXPECT_EQ(CodeOf(store_->OpenObject(bucket_, "missing")), "NoSuchKey");
  EXPECT_EQ(CodeOf(Put(std::string(1025, 'k'), "v")), "KeyTooLongError");
  // Overwrite: the new bytes and ETag.
  ASSERT_TRUE(Put("dir/a b+c.bin", "new").ok());
  EXPECT_EQ(*Get("dir/a b+c.bin"), "new");
}

TEST_P(StoreContract, DigestsAndConditions) {
  PutObjectRequest md5;
  md5.content_md5 = Base64Encode(Digest(DigestKind::kMd5, "other"));
  EXPECT_EQ(CodeOf(Put("k", "body", md5)), "BadDigest");
  md5.content_md5 = "not base64!";
  EXPECT_EQ(CodeOf(Put("k", "body", md5)), "InvalidDigest");
  md5.content_md5 = Base64Encode(Digest(DigestKind::kMd5, "body"));
  EXPECT_EQ(CodeOf(Put("k", "body", md5)), "OK");
  PutObjectRequest sized;
  sized.size = 10;
  EXPECT_EQ(CodeOf(Put("short", "body", sized)), "IncompleteBody");
  EXPECT_EQ(CodeOf(store_->HeadObject(bucket_, "short")), "NoSuchKey");

  PutObjectRequest crc;
  crc.checksum = ObjectChecksum{ChecksumAlgorithm::kCrc32c, ""};
  auto stored = Put("crc", "checked", crc);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_TRUE(stored->checksum.has_value());
  EXPECT_EQ(stored->checksum->value, Base64Encode(Digest(DigestKind::kCrc32c, "checked")));
  crc.checksum->value = Base64Encode(Digest(DigestKind::kCrc32c, "other"));
  EXPECT_EQ(CodeOf(Put("crc", "checked", crc)), "BadDigest");

  PutObjectRequest none_match;
  none_match.if_none_match_star = true;
  EXPECT_EQ(CodeOf(Put("k", "again", none_match)), "PreconditionFailed");
  EXPECT_EQ(CodeOf(Put("fresh", "first", none_match)), "OK");
  PutObjectRequest match;
  match.if_match_etag = Md5Hex("wrong");
  EXPECT_EQ(CodeOf(Put("k", "again", match)), "PreconditionFailed");
  match.if_match_etag = Md5Hex("body");
  EXPECT_EQ(CodeOf(Put("k", "again", match)), "OK");
  EXPECT_EQ(*Get("k"), "again");
}

TEST_P(StoreContract, AnOpenReaderNeverReadsAnotherVersion) {
  const std::string old_body = Bytes(3 * MiB, 2), new_body = Bytes(3 * MiB, 3);
  ASSERT_TRUE(Put("v", old_body).ok());
  auto reader = store_->OpenObject(bucket_, "v");
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(Put("v", new_body).ok());
  // The version opened, or PreconditionFailed (a remote store reads by ranges pinned to the
  // ETag); never the new bytes.
  std::string out(1 * MiB, '\0');
  auto n = (*reader)->ReadAt(2 * MiB, std::span<char>(out));
  if (n.ok()) {
    EXPECT_EQ(out, old_body.substr(2 * MiB, 1 * MiB));
  } else {
    EXPECT_EQ(n.status().s3_code(), "PreconditionFailed");
  }
  // Hints naming the current version open it; a stale one fails on open or on read.
  OpenHints current{new_body.size(), Md5Hex(new_body)};
  auto pinned = store_->OpenObject(bucket_, "v", current);
  ASSERT_TRUE(pinned.ok());
  ASSERT_EQ(*(*pinned)->ReadAt(0, std::span<char>(out)), out.size());
  EXPECT_EQ(out, new_body.substr(0, 1 * MiB));
  OpenHints stale{old_body.size(), Md5Hex(old_body)};
  auto old = store_->OpenObject(bucket_, "v", stale);
  if (old.ok()) {
    auto read = (*old)->ReadAt(0, std::span<char>(out));
    EXPECT_EQ(CodeOf(read), "PreconditionFailed");
  } else {
    EXPECT_EQ(old.status().s3_code(), "PreconditionFailed");
  }
}

TEST_P(StoreContract, ListingOrderDelimitersAndPages) {
  const std::vector<std::string> keys = {"a/1", "a/2", "a/b/3", "a0", "b", "é/x", "a/é"};
  for (const auto& k : keys) ASSERT_TRUE(Put(k, k).ok()) << k;
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  int pages = 0;
  EXPECT_EQ(List("", "", 1000), sorted);
  EXPECT_EQ(List("", "", 2, &pages), sorted);
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(List("", "/", 1000), (std::vector<std::string>{"a/", "a0", "b", "é/"}));
  EXPECT_EQ(List("a/", "/", 1000), (std::vector<std::string>{"a/1", "a/2", "a/b/", "a/é"}));
  EXPECT_EQ(List("a/", "/", 1, &pages), (std::vector<std::string>{"a/1", "a/2", "a/b/", "a/é"}));
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(List("zz", "", 1000), std::vector<std::string>{});
  ListObjectsRequest req{bucket_, "", "", "a0", 1000};
  auto after = store_->ListObjects(req);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->objects.size(), 2u);
  EXPECT_EQ(after->objects[0].key, "b");
  EXPECT_EQ(after->objects[0].size, 1u);
  EXPECT_EQ(after->objects[0].etag, Md5Hex("b"));
  EXPECT_FALSE(after->truncated);
  EXPECT_EQ(CodeOf(store_->ListObjects({"contract-missing", "", "", "", 10})), "NoSuchBucket");
}

TEST_P(StoreContract, DeletesAndCopies) {
  EXPECT_TRUE(store_->DeleteObject(bucket_, "never-there").ok());
  PutObjectRequest req;
  req.headers.user_metadata = {{"k", "v"}};
  req.headers.content_type = "text/plain";
  ASSERT_TRUE(Put("src", "source bytes", req).ok());
  CopyObjectRequest copy;
  copy.src_bucket = copy.dst_bucket = bucket_;
  copy.src_key = "src";
  copy.dst_key = "copied";
  auto copied = store_->CopyObject(copy);
  ASSERT_TRUE(copied.ok()) << copied.status().ToString();
  EXPECT_EQ(copied->etag, Md5Hex("source bytes"));
  auto head = store_->HeadObject(bucket_, "copied");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->headers.user_metadata, req.headers.user_metadata);
  EXPECT_EQ(*Get("copied"), "source bytes");
  copy.dst_key = "replaced";
  copy.replace_metadata = true;
  copy.headers.user_metadata = {{"new", "1"}};
  ASSERT_TRUE(store_->CopyObject(copy).ok());
  EXPECT_EQ(store_->HeadObject(bucket_, "replaced")->headers.user_metadata,
            copy.headers.user_metadata);
  copy.if_match = Md5Hex("other");
  EXPECT_EQ(CodeOf(store_->CopyObject(copy)), "PreconditionFailed");
  copy.if_match.clear();
  copy.src_key = "missing";
  EXPECT_EQ(CodeOf(store_->CopyObject(copy)), "NoSuchKey");
  auto statuses = store_->DeleteObjects(bucket_, {"src", "copied", "never-there"});
  ASSERT_TRUE(statuses.ok());
  for (const Status& s : *statuses) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(List("", "", 1000), std::vector<std::string>{"replaced"});
}

TEST_P(StoreContract, MultipartUploads) {
  CreateMultipartRequest create{bucket_, "big", {}, ChecksumAlgorithm::kNone};
  auto upload = store_->CreateMultipartUpload(create);
  ASSERT_TRUE(upload.ok()) << upload.status().ToString();
  const std::string one = Bytes(5 * MiB, 4), two = Bytes(1000, 5);
  auto put_part = [&](int number, const std::string& body) -> Result<ObjectMeta> {
    UploadPartRequest req;
    req.bucket = bucket_;
    req.key = "big";
    req.upload_id = upload->upload_id;
    req.part_number = number;
    FERRY_ASSIGN_OR_RETURN(auto writer, store_->UploadPart(req));
    FERRY_RETURN_IF_ERROR(writer->Append(std::span<const char>(body.data(), body.size())));
    return writer->Commit();
  };
  auto p1 = put_part(1, one), p2 = put_part(2, two), small = put_part(3, two);
  ASSERT_TRUE(p1.ok() && p2.ok() && small.ok()) << p1.status().ToString();
  EXPECT_EQ(p1->etag, Md5Hex(one));
  EXPECT_EQ(CodeOf(put_part(10001, two)), "InvalidArgument");
  auto parts = store_->ListParts({bucket_, "big", upload->upload_id, 0, 1000});
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->parts.size(), 3u);
  EXPECT_EQ(parts->parts[0].size, one.size());
  auto uploads = store_->ListMultipartUploads({bucket_, "", "", "", "", 1000});
  ASSERT_TRUE(uploads.ok());
  ASSERT_EQ(uploads->uploads.size(), 1u);
  EXPECT_EQ(uploads->uploads[0].upload_id, upload->upload_id);

  auto complete = [&](std::vector<CompletedPart> list) {
    return store_->CompleteMultipartUpload({bucket_, "big", upload->upload_id, list});
  };
  EXPECT_EQ(CodeOf(complete({{2, p2->etag, ""}, {1, p1->etag, ""}})), "InvalidPartOrder");
  EXPECT_EQ(CodeOf(complete({{1, Md5Hex("x"), ""}, {2, p2->etag, ""}})), "InvalidPart");
  EXPECT_EQ(CodeOf(complete({{2, p2->etag, ""}, {3, small->etag, ""}})), "EntityTooSmall");
  auto done = complete({{1, "\"" + p1->etag + "\"", ""}, {2, p2->etag, ""}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(
      done->etag,
      HexEncode(Digest(DigestKind::kMd5, *HexDecode(p1->etag) + *HexDecode(p2->etag))) + "-2");
  auto head = store_->HeadObject(bucket_, "big");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, one.size() + two.size());
  EXPECT_EQ(head->etag, done->etag);
  EXPECT_EQ(*Get("big"), one + two);
  EXPECT_EQ(CodeOf(store_->ListParts({bucket_, "big", upload->upload_id, 0, 1000})),
            "NoSuchUpload");

  auto aborted = store_->CreateMultipartUpload(create);
  ASSERT_TRUE(aborted.ok());
  EXPECT_TRUE(store_->AbortMultipartUpload(bucket_, "big", aborted->upload_id).ok());
  EXPECT_EQ(CodeOf(store_->AbortMultipartUpload(bucket_, "big", aborted->upload_id)),
            "NoSuchUpload");
  EXPECT_EQ(*Get("big"), one + two);
}

// A part copied from a range of another object: the new object's unchanged parts come from
// the old version, and a source that changed meanwhile is refused.
TEST_P(StoreContract, UploadPartCopy) {
  const std::string old_body = Bytes(6 * MiB, 11), changed = Bytes(2000, 12);
  ASSERT_TRUE(Put("src", old_body).ok());
  auto src = store_->HeadObject(bucket_, "src");
  ASSERT_TRUE(src.ok());
  auto upload = store_->CreateMultipartUpload({bucket_, "dst", {}, ChecksumAlgorithm::kNone});
  ASSERT_TRUE(upload.ok());
  UploadPartCopyRequest copy;
  copy.bucket = bucket_;
  copy.key = "dst";
  copy.upload_id = upload->upload_id;
  copy.part_number = 1;
  copy.src_bucket = bucket_;
  copy.src_key = "src";
  copy.src_etag = src->etag;
  copy.first = 0;
  copy.last = 5 * MiB - 1;
  auto p1 = store_->UploadPartCopy(copy);
  ASSERT_TRUE(p1.ok()) << p1.status().ToString();
  EXPECT_EQ(p1->etag, Md5Hex(std::string_view(old_body).substr(0, 5 * MiB)));
  EXPECT_EQ(p1->size, 5 * MiB);
  UploadPartRequest req{bucket_, "dst", upload->upload_id, 2};
  auto writer = store_->UploadPart(req);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append(std::span<const char>(changed.data(), changed.size())).ok());
  auto p2 = (*writer)->Commit();
  ASSERT_TRUE(p2.ok());
  UploadPartCopyRequest stale = copy;
  stale.part_number = 3;
  stale.src_etag = Md5Hex("another version");
  EXPECT_EQ(CodeOf(store_->UploadPartCopy(stale)), "PreconditionFailed");
  auto done = store_->CompleteMultipartUpload(
      {bucket_, "dst", upload->upload_id, {{1, p1->etag, ""}, {2, p2->etag, ""}}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(*Get("dst"), old_body.substr(0, 5 * MiB) + changed);
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContract, ::testing::Values("local", "s3", "memory"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ferry::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ferry::testing::FerryServe::instance = static_cast<ferry::testing::FerryServe*>(
      ::testing::AddGlobalTestEnvironment(new ferry::testing::FerryServe));
  return RUN_ALL_TESTS();
}
