// LocalStore under many threads: readers racing overwrites always see one whole version, and
// group commit lets concurrent fsynced PUTs share commits. Prints throughput; asserts only
// correctness (timings never decide a test on these shared machines).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "localstore/local_store.h"
#include "testing/store_test_util.h"

namespace ferry {
namespace {

using testing::Bytes;
using testing::Md5Hex;
using testing::Put;

TEST(Concurrency, ReadersAlwaysSeeAWholeVersion) {
  LocalStoreOptions o = testing::FastOptions();
  o.inline_threshold = 2000;
  o.pack_threshold = 64 * 1024;
  testing::StoreFixture f(o);
  auto& s = *f.store;
  const size_t sizes[] = {1000, 64 * 1024, 64 * 1024 + 1, 300000};  // inline, pack, blob
  constexpr int kVersions = 200;
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, failures{0};

  std::thread writer([&] {
    for (int v = 0; v < kVersions; ++v) {
      if (v % 17 == 16) {
        if (!s.DeleteObject("bkt", "hot").ok()) failures++;
        continue;
      }
      if (!Put(s, "bkt", "hot", Bytes(sizes[v % 4], v)).ok()) failures++;
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      while (!done) {
        auto r = s.OpenObject("bkt", "hot");
        if (!r.ok()) {
          if (r.status().s3_code() != "NoSuchKey") {
            failures++;
            ADD_FAILURE() << "open: " << r.status().ToString();
          }
          continue;
        }
        std::string body;
        if (t % 2 == 0) {
          auto all = testing::ReadAllFrom(**r, 4096 + t);
          if (!all.ok()) {
            failures++;
            ADD_FAILURE() << "read " << (*r)->meta().etag << ": " << all.status().ToString();
          }
          body = all.ok() ? *all : "";
        } else {
          for (const auto& e : (*r)->Extents(0, (*r)->meta().size)) {
            if (e.fd < 0) {
              body += e.bytes;
              continue;
            }
            std::string part(e.length, '\0');
            if (pread(e.fd, part.data(), e.length, static_cast<off_t>(e.file_offset)) !=
                static_cast<ssize_t>(e.length)) {
              failures++;
            }
            body += part;
          }
        }
        if (body.size() != (*r)->meta().size || Md5Hex(body) != (*r)->meta().etag) failures++;
        reads++;
      }
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(reads.load(), 0);
  std::printf("[ info ] %d whole-object reads during %d overwrites\n", reads.load(), kVersions);
  // Every replaced blob is gone once its readers are. Checked with the store closed: the
  // check reads the index and then lists the files, and the maintainer compacting packs in
  // between would make a pack look missing (a missing blob would still be missing after).
  f.store.reset();
  EXPECT_EQ(testing::BlobInconsistencies(f.dir.path() + "/root/bkt"), std::vector<std::string>{});
}

TEST(Concurrency, MixedOperationsAcrossBuckets) {
  LocalStoreOptions o = testing::FastOptions();
  o.min_part_size = 1;
  testing::StoreFixture f(o);
  auto& s = *f.store;
  ASSERT_TRUE(s.CreateBucket("other").ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      std::string bucket = t % 2 ? "bkt" : "other";
      for (int i = 0; i < 40; ++i) {
        std::string key = "t" + std::to_string(t) + "/" + std::to_string(i % 7);
        switch ((i + t) % 4) {
          case 0:
            if (!Put(s, bucket, key, Bytes(200000, i)).ok()) failures++;
            break;
          case 1: {
            auto up = s.CreateMultipartUpload({bucket, key});
            if (!up.ok()) {
              failures++;
              break;
            }
            std::vector<CompletedPart> parts;
            for (int p = 1; p <= 3; ++p) {
              auto w = s.UploadPart({bucket, key, up->upload_id, p});
              std::string body = Bytes(1000 * p, p);
              if (!w.ok() || !(*w)->Append(std::span<const char>(body.data(), body.size())).ok()) {
                failures++;
                break;
              }
              auto m = (*w)->Commit();
              if (!m.ok()) failures++;
              parts.push_back({p, m.ok() ? m->etag : ""});
            }
            if (!s.CompleteMultipartUpload({bucket, key, up->upload_id, parts}).ok()) failures++;
            break;
          }
          case 2:
            if (!s.DeleteObject(bucket, key).ok()) failures++;
            break;
          default:
            if (!s.ListObjects({bucket, "t", "/"}).ok()) failures++;
            if (!s.CopyObject({bucket, key, bucket, key + ".copy"}).ok()) {
              // The source may just have been deleted.
            }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

// ObjectReader::ReadAt may be called from several threads at once (parallel ranged download);
// a 40-part object also makes the reader close and reopen blob descriptors as it goes.
TEST(Concurrency, ParallelRangedReadsOfOneReader) {
  LocalStoreOptions o = testing::FastOptions();
  o.min_part_size = 1;
  testing::StoreFixture f(o);
  auto& s = *f.store;
  std::string body = Bytes(40 * 3000 + 17, 5);
  auto up = s.CreateMultipartUpload({"bkt", "parts"});
  ASSERT_TRUE(up.ok());
  std::vector<CompletedPart> parts;
  for (int p = 0; p * 3000 < static_cast<int>(body.size()); ++p) {
    auto w = s.UploadPart({"bkt", "parts", up->upload_id, p + 1});
    ASSERT_TRUE(w.ok());
    std::string_view piece = std::string_view(body).substr(p * 3000, 3000);
    ASSERT_TRUE((*w)->Append(std::span<const char>(piece.data(), piece.size())).ok());
    auto m = (*w)->Commit();
    ASSERT_TRUE(m.ok());
    parts.push_back({p + 1, m->etag});
  }
  ASSERT_TRUE(s.CompleteMultipartUpload({"bkt", "parts", up->upload_id, parts}).ok());
  auto reader = s.OpenObject("bkt", "parts");
  ASSERT_TRUE(reader.ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 300; ++i) {
        uint64_t off = rng() % body.size();
        size_t len = 1 + rng() % 9000;
        if (t == 0 && i % 10 == 0) {
          std::string got;
          for (const auto& e : (*reader)->Extents(off, len)) {
            std::string piece(e.length, '\0');
            if (pread(e.fd, piece.data(), e.length, static_cast<off_t>(e.file_offset)) !=
                static_cast<ssize_t>(e.length)) {
              failures++;
            }
            got += piece;
          }
          if (got != body.substr(off, len)) failures++;
          continue;
        }
        std::string buf(len, '\0');
        auto n = (*reader)->ReadAt(off, buf);
        if (!n.ok() || buf.substr(0, *n) != body.substr(off, len)) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

// 16 threads putting 64 KiB objects with fsync on: the commits are shared.
TEST(Concurrency, GroupCommitThroughput) {
  LocalStoreOptions o;  // fsync on
  testing::StoreFixture f(o);
  auto& s = *f.store;
  const std::string body = Bytes(64 * 1024, 42);
  const std::string etag = Md5Hex(body);
  auto run = [&](int threads, int per_thread, const std::string& prefix) {
    auto before = s.stats();
    auto start = std::chrono::steady_clock::now();
    std::atomic<int> failures{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) {
          auto m = Put(s, "bkt", prefix + std::to_string(t) + "/" + std::to_string(i), body);
          if (!m.ok() || m->etag != etag) failures++;
        }
      });
    }
    for (auto& t : pool) t.join();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto after = s.stats();
    EXPECT_EQ(failures.load(), 0);
    int puts = threads * per_thread;
    std::printf(
        "[ info ] %2d threads x 64 KiB, fsync: %6.0f PUT/s, %.1f PUTs per commit\n", threads,
        puts / secs,
        double(after.mutations - before.mutations) / double(after.commits - before.commits));
    return puts / secs;
  };
  double one = run(1, 100, "seq/");
  double sixteen = run(16, 100, "par/");
  std::printf("[ info ] group commit speed-up: %.1fx\n", sixteen / one);
  auto page = s.ListObjects({"bkt", "par/", "", "", 10000});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->objects.size(), 1600u);
  for (const auto& m : page->objects) EXPECT_EQ(m.etag, etag);
}

}  // namespace
}  // namespace ferry
