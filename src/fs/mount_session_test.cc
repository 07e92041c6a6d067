// A mount's file system driven without FUSE: names, reads, the kernel's invalidations and the
// errors a reader gets, over MemoryStore and FaultyStore.
#include "fs/mount_session.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <mutex>
#include <vector>

#include "fs/cache_control.h"
#include "fs/errno_of.h"
#include "s3/errors.h"
#include "testing/faulty_store.h"
#include "testing/memory_store.h"
#include "testing/store_test_util.h"

namespace ferry::fs {
namespace {

using ferry::testing::StoreCall;

constexpr uint64_t kBlock = 64 << 10;

class MountSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(memory_.CreateBucket("bkt").ok());
    Put("data/a.bin", ferry::testing::Bytes(3 * kBlock + 5, 1));
    Put("data/dir/b.txt", "bee");
    MountSessionOptions o;
    o.bucket = "bkt";
    o.prefix = "data/";
    o.cache.dir = cache_dir_.path();
    o.cache.capacity_bytes = 16 << 20;
    o.block_size = kBlock;
    o.read_ahead_bytes = 2 * kBlock;
    o.read_ahead_run_bytes = kBlock;
    o.metadata_ttl_ns = 0;  // every look asks the store
    auto session = MountSession::Open(store_, o);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    session_ = std::move(session).value();
    session_->files().SetInvalidator([this](uint64_t ino, ByteRange range) {
      std::lock_guard lock(mu_);
      invalidated_.push_back({ino, range});
    });
  }

  void Put(const std::string& key, const std::string& body) {
    ASSERT_TRUE(ferry::testing::Put(memory_, "bkt", key, body).ok());
    bodies_[key] = body;
  }

  // The bytes the kernel would get for [offset, offset + size) of ino, or the errno.
  std::pair<std::string, int> Read(uint64_t ino, uint64_t offset, size_t size) {
    auto slices = session_->files().Read(ino, offset, size);
    if (!slices.ok()) return {"", ErrnoOf(slices.status())};
    std::string out;
    for (std::string_view part : slices->parts) out.append(part);
    return {out, 0};
  }

  ferry::testing::MemoryStore memory_;
  ferry::testing::FaultyStore store_{memory_};
  ferry::testing::TempDir cache_dir_;
  std::unique_ptr<MountSession> session_;
  std::map<std::string, std::string> bodies_;
  std::mutex mu_;
  std::vector<std::pair<uint64_t, ByteRange>> invalidated_;
};

TEST_F(MountSessionTest, NamesAndReadsWithoutAKernel) {
  auto a = session_->names().Lookup(Namespace::kRootIno, "a.bin");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  const std::string& body = bodies_["data/a.bin"];
  EXPECT_EQ(a->size, body.size());
  EXPECT_EQ(Read(a->ino, 0, body.size()).first, body);
  EXPECT_EQ(Read(a->ino, kBlock + 7, 100).first, body.substr(kBlock + 7, 100));
  auto dir = session_->names().Lookup(Namespace::kRootIno, "dir");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(Read(dir->ino, 0, 10).second, EINVAL) << "not a file (the adapter says EISDIR)";
  EXPECT_EQ(ErrnoOf(session_->names().Lookup(Namespace::kRootIno, "missing").status()), ENOENT);
}

TEST_F(MountSessionTest, AFileReplacedInTheBucketDropsTheKernelsPages) {
  auto a = session_->names().Lookup(Namespace::kRootIno, "a.bin");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(Read(a->ino, 0, 10).second, 0);
  Put("data/a.bin", "replaced");
  auto again = session_->names().Lookup(Namespace::kRootIno, "a.bin");
  ASSERT_TRUE(again.ok());
  session_->files().NoteVersion(*again);  // what the adapter does with attributes it shows
  std::lock_guard lock(mu_);
  ASSERT_FALSE(invalidated_.empty());
  EXPECT_EQ(invalidated_.back().first, a->ino);
  EXPECT_EQ(invalidated_.back().second.length, 0u) << "all of its pages";
}

TEST_F(MountSessionTest, StoreFailuresReachTheReaderAsErrnos) {
  auto a = session_->names().Lookup(Namespace::kRootIno, "a.bin");
  ASSERT_TRUE(a.ok());
  // The reads are of the last block: a read-ahead started by one of them must not take the next
  // rule away from the read it is meant for.
  const uint64_t last = 3 * kBlock;
  // Replaced under a reader that was shown the old version: stale, not broken.
  store_.Add({.call = StoreCall::kRead, .key_prefix = "data/a.bin", .times = 1, .replaced = true});
  EXPECT_EQ(Read(a->ino, last, 10).second, ESTALE);
  store_.Add({.call = StoreCall::kRead,
              .key_prefix = "data/a.bin",
              .error = s3err::AccessDenied("Access Denied"),
              .times = 1});
  EXPECT_EQ(Read(a->ino, last, 10).second, EACCES);
  store_.Add({.call = StoreCall::kRead,
              .key_prefix = "data/a.bin",
              .error = s3err::InternalError("500"),
              .times = 1});
  EXPECT_EQ(Read(a->ino, last, 10).second, EIO);
  // The store well again: the same read succeeds.
  EXPECT_EQ(Read(a->ino, last, 10).first, bodies_["data/a.bin"].substr(last));
  // A listing that fails is an error, not an empty directory.
  store_.Add({.call = StoreCall::kListObjects, .error = s3err::InternalError("500")});
  auto listed = session_->names().ReadDirectory(Namespace::kRootIno);
  EXPECT_FALSE(listed.ok() && listed->empty());
}

TEST_F(MountSessionTest, CacheRequestsAreAnsweredWithTheirTypes) {
  CacheControl& control = session_->control();
  const uint64_t total = bodies_["data/a.bin"].size() + bodies_["data/dir/b.txt"].size();
  auto load = control.Handle({.op = CacheOp::kLoad, .path = ""});
  ASSERT_TRUE(load.ok()) << load.status().ToString();
  EXPECT_EQ(std::get<LoadAnswer>(*load).files, 2u);
  EXPECT_EQ(std::get<LoadAnswer>(*load).total_bytes, total);
  EXPECT_EQ(std::get<LoadAnswer>(*load).loaded_bytes, total);

  auto status = control.Handle({.op = CacheOp::kStatus, .path = "dir"});
  ASSERT_TRUE(status.ok());
  const auto& files = std::get<StatusAnswer>(*status).files;
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].path, "dir/b.txt");
  EXPECT_EQ(files[0].cached_bytes, 3u);

  auto release = control.Handle({.op = CacheOp::kRelease, .path = "a.bin"});
  ASSERT_TRUE(release.ok());
  EXPECT_EQ(std::get<ReleaseAnswer>(*release).released_bytes, bodies_["data/a.bin"].size());
  auto stats = control.Handle({.op = CacheOp::kStats});
  ASSERT_TRUE(stats.ok());
  EXPECT_GT(std::get<StatsAnswer>(*stats).stored, 0u);

  EXPECT_FALSE(control.Handle({.op = CacheOp::kStatus, .path = "nothing/here"}).ok());
  // A load whose fetches fail says so instead of reporting what it could not keep (of a file
  // never read: a.bin's blocks are still in the reader's memory).
  Put("data/c.bin", ferry::testing::Bytes(2 * kBlock, 3));
  store_.Add({.call = StoreCall::kRead, .error = s3err::InternalError("500")});
  auto failed = control.Handle({.op = CacheOp::kLoad, .path = "c.bin"});
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("c.bin"), std::string::npos)
      << failed.status().ToString();
}

}  // namespace
}  // namespace ferry::fs
