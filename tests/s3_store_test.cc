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
#include <cstring>
#include <map>
#include <random>
#include <thread>

#include "core/checksum.h"
#include "fault_proxy.h"
#include "s3_peers.h"
#include "store/s3_store.h"

namespace ferry::testing {
namespace {

constexpr uint64_t MiB = 1 << 20;

std::string Bytes(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  std::mt19937_64 rng(seed);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  for (; i < n; ++i) out[i] = static_cast<char>(rng());
  return out;
}

std::string Md5Hex(std::string_view data) {
  return HexEncode(Digest(DigestKind::kMd5, data));
}

Result<ObjectMeta> Put(ObjectStore& store, std::string_view bucket, std::string_view key,
                       std::string_view body, PutObjectRequest req = {}) {
  req.bucket = std::string(bucket);
  req.key = std::string(key);
  FERRY_ASSIGN_OR_RETURN(auto writer, store.PutObject(req));
  FERRY_RETURN_IF_ERROR(writer->Append(std::span<const char>(body.data(), body.size())));
  return writer->Commit();
}

Result<std::string> ReadAll(ObjectReader& reader, size_t chunk = 1 << 20) {
  std::string out;
  std::string buf(chunk, '\0');
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(size_t n, reader.ReadAt(out.size(), std::span<char>(buf.data(), chunk)));
    if (n == 0) return out;
    out.append(buf.data(), n);
  }
}

Result<std::string> Get(ObjectStore& store, std::string_view bucket, std::string_view key) {
  FERRY_ASSIGN_OR_RETURN(auto reader, store.OpenObject(bucket, key));
  return ReadAll(*reader);
}

// A file with the given content, removed on destruction.
struct TempFile {
  explicit TempFile(const std::string& content) {
    char path[] = "/tmp/ferry_s3store_fileXXXXXX";
    fd = ::mkstemp(path);
    ::unlink(path);
    size_t done = 0;
    while (done < content.size()) {
      ssize_t n = ::write(fd, content.data() + done, content.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
  }
  ~TempFile() { ::close(fd); }
  int fd = -1;
};

// The peers, started once for the whole binary and stopped at its end.
class Peers : public ::testing::Environment {
 public:
  static Peers* instance;
  void SetUp() override { instance = this; }
  void TearDown() override { peers_.clear(); }
  // The named peer, started on first use; nullptr (with the reason) when unavailable.
  Peer* Get(const std::string& name, std::string* why) {
    auto it = peers_.find(name);
    if (it == peers_.end()) {
      auto started = name == "ferry" ? StartFerryPeer() : StartS3rverPeer();
      if (!started.ok()) {
        failures_[name] = started.status().ToString();
        it = peers_.emplace(name, nullptr).first;
      } else {
        it = peers_.emplace(name, std::move(started).value()).first;
      }
    }
    if (!it->second) *why = failures_[name];
    return it->second.get();
  }

 private:
  std::map<std::string, std::unique_ptr<Peer>> peers_;
  std::map<std::string, std::string> failures_;
};
Peers* Peers::instance = nullptr;

S3StoreOptions OptionsFor(const Peer& peer, uint16_t port) {
  S3StoreOptions o;
  o.list_objects_version = peer.traits().list_objects_version;
  o.endpoint = "http://127.0.0.1:" + std::to_string(port);
  o.credentials = peer.credentials();
  o.retry.sleep = [](int64_t) {};  // retries without waiting: tests stay fast
  o.http.stall_seconds = 2;
  o.part_size = 5 * MiB;
  o.prefetch_bytes = 1 * MiB;
  o.read_window = 256 * 1024;
  return o;
}

class S3StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string why;
    peer_ = Peers::instance->Get(GetParam(), &why);
    if (!peer_) GTEST_SKIP() << GetParam() << " unavailable: " << why;
    traits_ = peer_->traits();
    store_ = Open(OptionsFor(*peer_, peer_->port()));
    static std::atomic<int> counter{0};
    bucket_ = "b" + std::to_string(::getpid() % 100000) + "-" + std::to_string(counter++);
    ASSERT_TRUE(store_->CreateBucket(bucket_).ok());
  }

  std::unique_ptr<S3Store> Open(const S3StoreOptions& options) {
    auto store = S3Store::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  }

  std::vector<std::string> ListAll(const std::string& prefix = "", const std::string& delim = "",
                                   int page = 1000) {
    std::vector<std::string> out;
    ListObjectsRequest req;
    req.bucket = bucket_;
    req.prefix = prefix;
    req.delimiter = delim;
    req.max_keys = page;
    for (int guard = 0; guard < 10000; ++guard) {
      auto r = store_->ListObjects(req);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) break;
      // Keys and common prefixes in listing order.
      std::vector<std::string> entries;
      for (auto& o : r->objects) entries.push_back(o.key);
      for (auto& p : r->common_prefixes) entries.push_back(p);
      std::sort(entries.begin(), entries.end());
      out.insert(out.end(), entries.begin(), entries.end());
      if (!r->truncated) break;
      EXPECT_FALSE(r->last.empty());
      req.start_after = r->last;
    }
    return out;
  }

  Peer* peer_ = nullptr;
  PeerTraits traits_;
  std::unique_ptr<S3Store> store_;
  std::string bucket_;
};

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

INSTANTIATE_TEST_SUITE_P(Peers, S3StoreTest, ::testing::Values("ferry", "s3rver"),
                         [](const auto& info) { return info.param; });

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

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new ferry::testing::Peers());
  return RUN_ALL_TESTS();
}
