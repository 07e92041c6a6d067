// Helpers shared by the S3Store integration tests: generated data, whole-object reads, temp
// files, and the peers (ferry serve in process, s3rver) started once per test binary.
#pragma once

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

namespace ferry::testing {

inline constexpr uint64_t MiB = 1 << 20;

inline std::string Bytes(size_t n, uint64_t seed) {
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

inline std::string Md5Hex(std::string_view data) {
  return HexEncode(Digest(DigestKind::kMd5, data));
}

inline Result<ObjectMeta> Put(ObjectStore& store, std::string_view bucket, std::string_view key,
                              std::string_view body, PutObjectRequest req = {}) {
  req.bucket = std::string(bucket);
  req.key = std::string(key);
  FERRY_ASSIGN_OR_RETURN(auto writer, store.PutObject(req));
  FERRY_RETURN_IF_ERROR(writer->Append(std::span<const char>(body.data(), body.size())));
  return writer->Commit();
}

inline Result<std::string> ReadAll(ObjectReader& reader, size_t chunk = 1 << 20) {
  std::string out;
  std::string buf(chunk, '\0');
  for (;;) {
    FERRY_ASSIGN_OR_RETURN(size_t n, reader.ReadAt(out.size(), std::span<char>(buf.data(), chunk)));
    if (n == 0) return out;
    out.append(buf.data(), n);
  }
}

inline Result<std::string> Get(ObjectStore& store, std::string_view bucket, std::string_view key) {
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
  static inline Peers* instance = nullptr;
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

inline S3StoreOptions OptionsFor(const Peer& peer, uint16_t port) {
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

// Each test runs against every peer: "ferry" (in process) and "s3rver" (when npm is there).
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

}  // namespace ferry::testing
