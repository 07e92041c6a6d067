#include "gateway/gateway.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cache/block_cache.h"
#include "gateway/gateway_fixture.h"
#include "gateway/posix_error.h"
#include "s3/errors.h"
#include "s3/posix_meta.h"
#include "testing/faulty_store.h"
#include "testing/memory_store.h"
#include "testing/store_test_util.h"

namespace ferry::gateway {
namespace {

TEST_F(GatewayTest, AClosedFileBecomesAnObjectWithItsMetadata) {
  auto dir = gw_->MakeDirectory(Gateway::kRootIno, "runs", 0750, 1000, 1000);
  ASSERT_TRUE(dir.ok());
  WriteFile(dir->ino, "a.txt", "hello gateway");
  Drain();
  EXPECT_EQ(Object("share/runs/a.txt"), "hello gateway");
  auto meta = memory_.HeadObject("bkt", "share/runs/a.txt");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->headers.user_metadata.at("file-permissions"), "0100640");
  EXPECT_EQ(meta->headers.user_metadata.at("file-owner"), "1000");
  EXPECT_TRUE(Exists("share/runs/"));  // the directory's marker
  EXPECT_EQ(gw_->Stats().dirty_files, 0u);
}

TEST_F(GatewayTest, FilesInTheBucketAreListedAndRead) {
  PutObject("share/data/x.bin", Pattern(3 * MiB, 'a'));
  auto data = gw_->Lookup(Gateway::kRootIno, "data");
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_TRUE(S_ISDIR(data->mode));
  auto x = gw_->Lookup(data->ino, "x.bin");
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->size, 3 * MiB);
  EXPECT_EQ(ReadFile(x->ino), Pattern(3 * MiB, 'a'));
  EXPECT_EQ(gw_->Lookup(data->ino, "missing").status().code(), Status::Code::kNotFound);
  // Replaced in the bucket: the same number, another generation, so that the kernel drops
  // the size it kept of the old file.
  PutObject("share/data/x.bin", Pattern(MiB, 'b'));
  ASSERT_TRUE(gw_->Refresh("data", false).ok());
  auto replaced = gw_->Lookup(data->ino, "x.bin");
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->ino, x->ino);
  EXPECT_NE(replaced->generation, x->generation);
  EXPECT_EQ(replaced->size, MiB);
  EXPECT_EQ(ReadFile(x->ino), Pattern(MiB, 'b'));
}

TEST_F(GatewayTest, InodesAndHandlesSurviveARestart) {
  auto dir = gw_->MakeDirectory(Gateway::kRootIno, "d", 0755, 0, 0);
  ASSERT_TRUE(dir.ok());
  const uint64_t file = WriteFile(dir->ino, "f", "kept");
  const uint32_t generation = gw_->generation();
  EXPECT_NE(generation, 0u);
  const uint32_t file_generation = gw_->GetAttributes(file)->generation;
  EXPECT_NE(file_generation, 0u);
  Restart();
  EXPECT_EQ(gw_->generation(), generation);
  // What an NFS server asks for a handle it kept: the node itself, and its parent.
  auto self = gw_->Lookup(file, ".");
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  EXPECT_EQ(self->ino, file);
  EXPECT_EQ(self->generation, file_generation);
  auto parent = gw_->Lookup(file, "..");
  ASSERT_TRUE(parent.ok());
  EXPECT_EQ(parent->ino, dir->ino);
  EXPECT_EQ(gw_->Lookup(dir->ino, "..")->ino, Gateway::kRootIno);
  EXPECT_EQ(ReadFile(file), "kept");
  Drain();
  EXPECT_EQ(Object("share/d/f"), "kept");
  // A new node never takes an old number.
  const uint64_t other = WriteFile(Gateway::kRootIno, "g", "new");
  EXPECT_GT(other, file);
  ASSERT_TRUE(gw_->Unlink(Gateway::kRootIno, "g").ok());
  EXPECT_EQ(gw_->Lookup(other, ".").status().code(), Status::Code::kNotFound);
}

TEST_F(GatewayTest, WhatWasClosedIsUploadedAfterTheStoreFailedUntilRestart) {
  store_.Add({.call = StoreCall::kPut, .error = s3err::InternalError("down")});
  WriteFile(Gateway::kRootIno, "late.txt", "durable before upload");
  EXPECT_FALSE(gw_->Drain(int64_t{300} * 1'000'000).ok());
  EXPECT_FALSE(Exists("share/late.txt"));
  EXPECT_GE(gw_->Stats().failing, 1u);
  Restart();
  store_.Clear();
  Drain();
  EXPECT_EQ(Object("share/late.txt"), "durable before upload");
}

TEST_F(GatewayTest, FailedUploadsAreRetried) {
  store_.Add({.call = StoreCall::kPut, .error = s3err::InternalError("flaky"), .times = 2});
  WriteFile(Gateway::kRootIno, "retried", "eventually");
  Drain();
  EXPECT_EQ(Object("share/retried"), "eventually");
}

TEST_F(GatewayTest, TimesSetRightAfterCloseDoNotWaitForTheUpload) {
  // The upload the close starts is slow; tar sets the times right after closing.
  store_.Add({.call = StoreCall::kPut,
              .key_prefix = "share/t.txt",
              .error = Status::OK(),
              .times = 1,
              .delay = std::chrono::milliseconds(600)});
  const uint64_t ino = WriteFile(Gateway::kRootIno, "t.txt", "tar");
  EXPECT_TRUE(Eventually([&] { return gw_->Stats().uploading == 1; }));
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      gw_->SetAttributesOf(ino, {.mode = 0600, .mtime_ns = int64_t{1234567890} * 1000000000}).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(300));
  Drain();
  EXPECT_EQ(Object("share/t.txt"), "tar");
  auto head = memory_.HeadObject("bkt", "share/t.txt");
  ASSERT_TRUE(head.ok());
  const auto posix = s3::DecodePosixAttributes(head->headers.user_metadata);
  EXPECT_EQ(posix.mode.value_or(0) & 07777, 0600u);
  EXPECT_EQ(posix.mtime_ns.value_or(0), int64_t{1234567890} * 1000000000);
  // The data went once; the new times followed as metadata.
  EXPECT_EQ(store_.calls(StoreCall::kPut), 1);
  EXPECT_EQ(store_.calls(StoreCall::kCopyObject), 1);
}

TEST_F(GatewayTest, ANewFileStartsEmptyWhateverACrashLeftInItsDataFile) {
  // The data files of the next numbers are made ahead of need; one may hold the bytes of a
  // file that a crash took before it was saved.
  const uint64_t first = WriteFile(Gateway::kRootIno, "first", "1");
  for (uint64_t ino = first + 1; ino < first + 4; ++ino) {
    std::ofstream(dir_.path() + "/state/data/" + std::to_string(ino)) << "left by a crash";
  }
  auto made = gw_->CreateAndOpenFile(Gateway::kRootIno, "empty", 0644, 0, 0);
  ASSERT_TRUE(made.ok());
  EXPECT_GT(made->first.ino, first);
  ASSERT_TRUE(gw_->Flush(made->second).ok());
  gw_->Release(made->second);
  EXPECT_EQ(ReadFile(made->first.ino), "");
  Drain();
  EXPECT_EQ(Object("share/empty"), "");
}

TEST_F(GatewayTest, AnObjectChangedInTheBucketMeanwhileIsNeverOverwritten) {
  PutObject("share/c.txt", "original");
  auto c = gw_->Lookup(Gateway::kRootIno, "c.txt");
  ASSERT_TRUE(c.ok());
  PutObject("share/c.txt", "theirs");  // someone else, after the gateway saw it
  auto h = gw_->OpenFile(c->ino, true);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(gw_->SetAttributesOf(c->ino, {.size = 0}).ok());
  const std::string mine = "mine";
  ASSERT_TRUE(gw_->Write(*h, 0, std::span<const char>(mine.data(), mine.size())).ok());
  ASSERT_TRUE(gw_->Flush(*h).ok());
  gw_->Release(*h);
  Drain();
  EXPECT_EQ(Object("share/c.txt"), "theirs");
  auto names = gw_->ReadDirectory(Gateway::kRootIno);
  ASSERT_TRUE(names.ok());
  std::string conflict;
  for (const auto& e : *names) {
    if (e.name.starts_with("c.txt.conflict-")) conflict = e.name;
  }
  ASSERT_FALSE(conflict.empty());
  EXPECT_EQ(Object("share/" + conflict), "mine");
  auto shown = gw_->Lookup(Gateway::kRootIno, "c.txt");
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(ReadFile(shown->ino), "theirs");
  EXPECT_NE(shown->generation, c->generation);  // the kernel keeps no size of "mine"
  EXPECT_EQ(gw_->Stats().conflicts, 1u);
}

TEST_F(GatewayTest, RenamesMoveObjectsAndDirectories) {
  PutObject("share/d/x", "x-body");
  PutObject("share/d/sub/y", "y-body");
  PutObject("share/f", "f-body");
  ASSERT_TRUE(gw_->Lookup(Gateway::kRootIno, "d").ok());
  ASSERT_TRUE(gw_->Rename(Gateway::kRootIno, "d", Gateway::kRootIno, "e", false).ok());
  ASSERT_TRUE(gw_->Rename(Gateway::kRootIno, "f", Gateway::kRootIno, "g", false).ok());
  auto e = gw_->Lookup(Gateway::kRootIno, "e");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(ReadFile(gw_->Lookup(e->ino, "x")->ino), "x-body");  // before the bucket moved
  Drain();
  EXPECT_EQ(Object("share/e/x"), "x-body");
  EXPECT_EQ(Object("share/e/sub/y"), "y-body");
  EXPECT_EQ(Object("share/g"), "f-body");
  EXPECT_FALSE(Exists("share/d/x"));
  EXPECT_FALSE(Exists("share/f"));
  EXPECT_EQ(gw_->Lookup(Gateway::kRootIno, "d").status().code(), Status::Code::kNotFound);
  // A rename onto an existing name replaces it; RENAME_NOREPLACE refuses.
  WriteFile(Gateway::kRootIno, "h", "h-body");
  EXPECT_EQ(ErrnoOf(gw_->Rename(Gateway::kRootIno, "g", Gateway::kRootIno, "h", true)), EEXIST);
  ASSERT_TRUE(gw_->Rename(Gateway::kRootIno, "h", Gateway::kRootIno, "g", false).ok());
  Drain();
  EXPECT_EQ(Object("share/g"), "h-body");
  EXPECT_FALSE(Exists("share/h"));
}

TEST_F(GatewayTest, UnlinkRmdirSymlinksAndTruncation) {
  PutObject("share/old", "old-body");
  auto dir = gw_->MakeDirectory(Gateway::kRootIno, "empty", 0755, 0, 0);
  ASSERT_TRUE(dir.ok());
  auto link = gw_->MakeSymlink(Gateway::kRootIno, "link", "target/path", 0, 0);
  ASSERT_TRUE(link.ok());
  EXPECT_TRUE(S_ISLNK(link->mode));
  const uint64_t t = WriteFile(Gateway::kRootIno, "t", "0123456789");
  ASSERT_TRUE(gw_->SetAttributesOf(t, {.size = 4}).ok());
  ASSERT_TRUE(gw_->SetAttributesOf(t, {.size = 6}).ok());
  EXPECT_EQ(ReadFile(t), std::string("0123\0\0", 6));
  Drain();
  EXPECT_EQ(Object("share/link"), "target/path");
  EXPECT_EQ(memory_.HeadObject("bkt", "share/link")->headers.user_metadata.at("file-permissions"),
            "0120777");
  EXPECT_EQ(Object("share/t"), std::string("0123\0\0", 6));
  EXPECT_TRUE(Exists("share/empty/"));
  WriteFile(dir->ino, "inside", "x");
  EXPECT_EQ(ErrnoOf(gw_->RemoveDirectory(Gateway::kRootIno, "empty")), ENOTEMPTY);
  ASSERT_TRUE(gw_->Unlink(dir->ino, "inside").ok());
  ASSERT_TRUE(gw_->RemoveDirectory(Gateway::kRootIno, "empty").ok());
  ASSERT_TRUE(gw_->Lookup(Gateway::kRootIno, "old").ok());
  ASSERT_TRUE(gw_->Unlink(Gateway::kRootIno, "old").ok());
  Drain();
  EXPECT_FALSE(Exists("share/old"));
  EXPECT_FALSE(Exists("share/empty/"));
  EXPECT_FALSE(Exists("share/empty/inside"));
  // After a restart the link is read back from its object.
  Restart();
  auto again = gw_->Lookup(Gateway::kRootIno, "link");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*gw_->ReadLink(again->ino), "target/path");
}

TEST_F(GatewayTest, ChmodRewritesOnlyTheMetadata) {
  PutObject("share/m", Pattern(MiB, 'm'));
  auto m = gw_->Lookup(Gateway::kRootIno, "m");
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(gw_->SetAttributesOf(m->ino, {.mode = 0600}).ok());
  Drain();
  EXPECT_EQ(store_.calls(StoreCall::kCopyObject), 1);
  EXPECT_EQ(store_.calls(StoreCall::kPut), 0);
  auto meta = memory_.HeadObject("bkt", "share/m");
  EXPECT_EQ(meta->headers.user_metadata.at("file-permissions"), "0100600");
  EXPECT_EQ(Object("share/m"), Pattern(MiB, 'm'));
}

TEST_F(GatewayTest, AWorkingSetIsReportedUploadedAfterItsFiles) {
  std::mutex mu;
  std::vector<GatewayEvent> events;
  gw_->SetEventListener([&](const GatewayEvent& e) {
    std::lock_guard lock(mu);
    events.push_back(e);
  });
  store_.Add({.call = StoreCall::kPut,
              .key_prefix = "share/one",
              .error = s3err::InternalError("slow start"),
              .times = 1});
  WriteFile(Gateway::kRootIno, "one", "1");
  WriteFile(Gateway::kRootIno, "two", "22");
  const std::string id = gw_->NotifyWhenUploaded();
  // "one" failed its first upload and waits for its retry; "two" may be up already.
  auto report = gw_->Report(Gateway::ReportFilter::kDirty);
  ASSERT_GE(report.size(), 1u);
  EXPECT_EQ(report[0].path, "one");
  EXPECT_NE(report[0].state, "clean");
  Drain();
  // The worker that sees the working set complete may run a moment after the drain.
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(mu);
      if (!events.empty() && events.back().kind == GatewayEvent::Kind::kWorkingSetUploaded) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard lock(mu);
  std::vector<std::string> uploaded;
  for (const auto& e : events) {
    if (e.kind == GatewayEvent::Kind::kUploaded) uploaded.push_back(e.key);
  }
  std::sort(uploaded.begin(), uploaded.end());
  EXPECT_EQ(uploaded, (std::vector<std::string>{"share/one", "share/two"}));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().kind, GatewayEvent::Kind::kWorkingSetUploaded);
  EXPECT_EQ(events.back().notification_id, id);
  size_t failing = 0;
  for (const auto& e : events) failing += e.kind == GatewayEvent::Kind::kFailing;
  EXPECT_EQ(failing, 1u);
  EXPECT_TRUE(gw_->Report(Gateway::ReportFilter::kDirty).empty());
  EXPECT_EQ(gw_->Report(Gateway::ReportFilter::kAll).size(), 2u);
}

TEST_F(GatewayTest, WritersWaitForRoomWhenTheDirtyLimitIsReached) {
  gw_.reset();
  Start(/*max_dirty=*/64 << 10);
  store_.Add({.call = StoreCall::kPut, .delay = std::chrono::milliseconds(100)});
  std::atomic<bool> writing{true};
  std::atomic<uint64_t> most_dirty{0};
  std::thread watcher([&] {
    while (writing) {
      const uint64_t dirty = gw_->Stats().dirty_bytes;
      uint64_t seen = most_dirty.load();
      while (dirty > seen && !most_dirty.compare_exchange_weak(seen, dirty)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  const std::string body = Pattern(32 << 10, 'w');
  for (int i = 0; i < 10; ++i) WriteFile(Gateway::kRootIno, "f" + std::to_string(i), body);
  writing = false;
  watcher.join();
  // A write waits while the limit is reached, so at most one write's bytes go past it.
  EXPECT_LE(most_dirty.load(), uint64_t{(64 << 10) + (32 << 10)});
  Drain();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Object("share/f" + std::to_string(i)), body);
}

}  // namespace
}  // namespace ferry::gateway
