// Large files: multipart uploads that copy a changed object's unchanged parts, and streams
// of a file's full parts while it is written.
#include <gtest/gtest.h>

#include <string>

#include "gateway/gateway_fixture.h"
#include "s3/errors.h"
#include "s3/posix_meta.h"

namespace ferry::gateway {
namespace {

TEST_F(GatewayTest, AChangeInTheMiddleOfALargeFileCopiesTheUnchangedParts) {
  const std::string body = Pattern(12 * MiB, 'k');
  PutObject("share/big", body);
  auto big = gw_->Lookup(Gateway::kRootIno, "big");
  ASSERT_TRUE(big.ok());
  auto h = gw_->OpenFile(big->ino, true);
  ASSERT_TRUE(h.ok());
  const std::string patch(1000, 'Z');
  ASSERT_TRUE(gw_->Write(*h, 6 * MiB, std::span<const char>(patch.data(), patch.size())).ok());
  ASSERT_TRUE(gw_->Flush(*h).ok());
  gw_->Release(*h);
  Drain();
  std::string want = body;
  want.replace(6 * MiB, patch.size(), patch);
  EXPECT_EQ(Object("share/big"), want);
  // Parts [0,5M) and [10M,12M) were copied in the bucket; only [5M,10M) was sent.
  EXPECT_EQ(store_.calls(StoreCall::kUploadPartCopy), 2);
  EXPECT_EQ(store_.calls(StoreCall::kUploadPart), 1);
  EXPECT_EQ(ReadFile(big->ino), want);
}

TEST_F(GatewayTest, TheUploadOfAChangedMultipartObjectFollowsItsParts) {
  // The base was uploaded in 6 MiB parts (not the gateway's 5): the unchanged parts are
  // copied whole, which a server can do without moving their bytes.
  const std::string body = Pattern(17 * MiB, 'm');
  PutMultipartObject("share/parts", body, 6 * MiB);
  auto file = gw_->Lookup(Gateway::kRootIno, "parts");
  ASSERT_TRUE(file.ok());
  auto h = gw_->OpenFile(file->ino, true);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(gw_->Write(*h, 7 * MiB, std::span<const char>("XY", 2)).ok());
  ASSERT_TRUE(gw_->Flush(*h).ok());
  gw_->Release(*h);
  Drain();
  std::string want = body;
  want.replace(7 * MiB, 2, "XY");
  EXPECT_EQ(Object("share/parts"), want);
  auto head = memory_.HeadObject("bkt", "share/parts");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->part_sizes, (std::vector<uint64_t>{6 * MiB, 6 * MiB, 5 * MiB}));
  EXPECT_EQ(store_.calls(StoreCall::kUploadPartCopy), 2);
  EXPECT_EQ(store_.calls(StoreCall::kUploadPart), 1);
}

// Keys under share/, and multipart uploads under way there.
std::vector<std::string> KeysUnder(ObjectStore& store, const std::string& prefix) {
  ListObjectsRequest list;
  list.bucket = "bkt";
  list.prefix = prefix;
  auto page = store.ListObjects(list);
  std::vector<std::string> out;
  if (page.ok()) {
    for (const auto& o : page->objects) out.push_back(o.key);
  }
  return out;
}
size_t UploadsUnder(ObjectStore& store, const std::string& prefix) {
  ListUploadsRequest list;
  list.bucket = "bkt";
  list.prefix = prefix;
  auto page = store.ListMultipartUploads(list);
  return page.ok() ? page->uploads.size() : 999;
}

TEST_F(GatewayTest, ALargeFileWrittenInOrderGoesUpWhileItIsWritten) {
  auto made = gw_->CreateAndOpenFile(Gateway::kRootIno, "stream.bin", 0640, 1000, 1000);
  ASSERT_TRUE(made.ok());
  const uint64_t* h = &made->second;
  const std::string body = Pattern(23 * MiB, 's');
  for (size_t off = 0; off < body.size(); off += MiB) {  // 1 MiB at a time, as dd writes
    ASSERT_TRUE(gw_->Write(*h, off, std::span<const char>(body.data() + off, MiB)).ok());
  }
  // The full parts went while the file was open; nothing is at its key yet.
  EXPECT_TRUE(Eventually([&] { return store_.calls(StoreCall::kUploadPart) >= 4; }));
  EXPECT_FALSE(Exists("share/stream.bin"));
  // A part changed after it went is sent again.
  ASSERT_TRUE(gw_->Write(*h, 2 * MiB, std::span<const char>("Q", 1)).ok());
  ASSERT_TRUE(gw_->Flush(*h).ok());
  gw_->Release(*h);
  Drain();
  std::string want = body;
  want[2 * MiB] = 'Q';
  EXPECT_EQ(Object("share/stream.bin"), want);
  EXPECT_EQ(store_.calls(StoreCall::kUploadPart), 6);      // 4 early, then part 1 and the last
  EXPECT_EQ(store_.calls(StoreCall::kUploadPartCopy), 5);  // into the object, with its metadata
  auto head = memory_.HeadObject("bkt", "share/stream.bin");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->headers.user_metadata.count("ferry-upload"), 1u);
  EXPECT_EQ(s3::DecodePosixAttributes(head->headers.user_metadata).mode.value_or(0) & 07777, 0640u);
  // The staging object goes, and no upload is left behind.
  EXPECT_TRUE(Eventually([&] {
    return KeysUnder(memory_, "share/") == std::vector<std::string>{"share/stream.bin"};
  }));
  EXPECT_EQ(UploadsUnder(memory_, "share/"), 0u);
  // The staging directory is not shown, and its name cannot be taken.
  auto listed = gw_->ReadDirectory(Gateway::kRootIno);
  ASSERT_TRUE(listed.ok());
  for (const auto& entry : *listed) EXPECT_NE(entry.name, ".ferry-staging");
  EXPECT_FALSE(gw_->CreateFile(Gateway::kRootIno, ".ferry-staging", 0644, 0, 0).ok());
}

TEST_F(GatewayTest, AMultipartObjectRewrittenWholeIsStreamedInTheGatewaysParts) {
  const std::string old_body = Pattern(12 * MiB, 'o');
  PutMultipartObject("share/re.bin", old_body, 6 * MiB);
  auto file = gw_->Lookup(Gateway::kRootIno, "re.bin");
  ASSERT_TRUE(file.ok());
  auto h = gw_->OpenFile(file->ino, true);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(gw_->SetAttributesOf(file->ino, {.size = 0}).ok());  // O_TRUNC
  const std::string body = Pattern(17 * MiB, 'n');
  for (size_t off = 0; off < body.size(); off += MiB) {
    ASSERT_TRUE(gw_->Write(*h, off, std::span<const char>(body.data() + off, MiB)).ok());
  }
  ASSERT_TRUE(gw_->Flush(*h).ok());
  gw_->Release(*h);
  Drain();
  EXPECT_EQ(Object("share/re.bin"), body);
  auto head = memory_.HeadObject("bkt", "share/re.bin");
  ASSERT_TRUE(head.ok());
  // The stream's parts (5 MiB here), not the old version's 6 MiB: nothing of it is copied.
  EXPECT_EQ(head->part_sizes, (std::vector<uint64_t>{5 * MiB, 5 * MiB, 5 * MiB, 2 * MiB}));
  EXPECT_TRUE(Eventually([&] { return KeysUnder(memory_, "share/.ferry-staging/").empty(); }));
}

TEST_F(GatewayTest, AStreamOfAFileDeletedOrCutShortOrInterruptedLeavesNothing) {
  auto write_parts = [&](const std::string& name) {
    auto made = gw_->CreateAndOpenFile(Gateway::kRootIno, name, 0644, 1000, 1000);
    EXPECT_TRUE(made.ok());
    const uint64_t* h = &made->second;
    const std::string body = Pattern(16 * MiB, 'd');
    EXPECT_TRUE(gw_->Write(*h, 0, std::span<const char>(body.data(), body.size())).ok());
    EXPECT_TRUE(Eventually([&] { return UploadsUnder(memory_, "share/.ferry-staging/") == 1; }));
    return *h;
  };
  // Deleted while written: the staging upload is aborted.
  uint64_t h = write_parts("deleted.bin");
  ASSERT_TRUE(gw_->Unlink(Gateway::kRootIno, "deleted.bin").ok());
  gw_->Release(h);
  EXPECT_TRUE(Eventually([&] { return UploadsUnder(memory_, "share/") == 0; }));
  // Cut below the multipart threshold: the object is one PUT, the stream goes.
  h = write_parts("cut.bin");
  ASSERT_TRUE(
      gw_->SetAttributesOf(gw_->Lookup(Gateway::kRootIno, "cut.bin")->ino, {.size = 3 * MiB}).ok());
  ASSERT_TRUE(gw_->Flush(h).ok());
  gw_->Release(h);
  Drain();
  EXPECT_EQ(Object("share/cut.bin"), Pattern(16 * MiB, 'd').substr(0, 3 * MiB));
  EXPECT_TRUE(Eventually([&] { return UploadsUnder(memory_, "share/") == 0; }));
  // Stopped while written (as a crash would): the next start removes the staging upload.
  h = write_parts("stopped.bin");
  (void)h;
  gw_.reset();
  EXPECT_EQ(UploadsUnder(memory_, "share/.ferry-staging/"), 1u);
  Start();
  Drain();  // what the journal has of the file goes up as usual
  EXPECT_EQ(UploadsUnder(memory_, "share/"), 0u);
  EXPECT_EQ(KeysUnder(memory_, "share/.ferry-staging/"), std::vector<std::string>{});
}

TEST_F(GatewayTest, AStreamedFileSurvivesFailedPartsAndAConflict) {
  // The first early parts fail: they are sent again when the file is made.
  store_.Add({.call = StoreCall::kUploadPart,
              .key_prefix = "share/.ferry-staging/",
              .error = s3err::InternalError("flaky"),
              .times = 2});
  auto made = gw_->CreateAndOpenFile(Gateway::kRootIno, "big.bin", 0644, 1000, 1000);
  ASSERT_TRUE(made.ok());
  const std::string body = Pattern(17 * MiB, 'f');
  for (size_t off = 0; off < body.size(); off += MiB) {
    const size_t n = std::min<size_t>(MiB, body.size() - off);
    ASSERT_TRUE(gw_->Write(made->second, off, std::span<const char>(body.data() + off, n)).ok());
  }
  EXPECT_TRUE(Eventually([&] { return store_.calls(StoreCall::kUploadPart) >= 3; }));
  // Meanwhile someone else takes the name in the bucket: nothing of theirs is overwritten.
  PutObject("share/big.bin", "theirs");
  ASSERT_TRUE(gw_->Flush(made->second).ok());
  gw_->Release(made->second);
  Drain();
  EXPECT_EQ(Object("share/big.bin"), "theirs");
  auto names = gw_->ReadDirectory(Gateway::kRootIno);
  ASSERT_TRUE(names.ok());
  std::string conflict;
  for (const auto& e : *names) {
    if (e.name.starts_with("big.bin.conflict-")) conflict = e.name;
  }
  ASSERT_FALSE(conflict.empty());
  EXPECT_EQ(Object("share/" + conflict), body);
  EXPECT_TRUE(Eventually([&] { return KeysUnder(memory_, "share/.ferry-staging/").empty(); }));
  EXPECT_EQ(UploadsUnder(memory_, "share/"), 0u);
}

}  // namespace
}  // namespace ferry::gateway
