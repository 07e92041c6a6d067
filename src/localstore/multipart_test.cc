// LocalStore multipart uploads.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/checksum.h"
#include "localstore/local_store.h"
#include "localstore/object_row.h"
#include "testing/store_test_util.h"

namespace ferry {
namespace {

using testing::Bytes;
using testing::CountBlobFiles;
using testing::ReadAll;
using testing::StoreFixture;

constexpr uint64_t kMinPart = 64 * 1024;  // lowered from 5 MiB to keep tests fast

LocalStoreOptions Options() {
  LocalStoreOptions o = testing::FastOptions();
  o.min_part_size = kMinPart;
  return o;
}

Result<ObjectMeta> UploadPart(ObjectStore& s, const std::string& key, const std::string& id,
                              int number, std::string_view body,
                              std::optional<ObjectChecksum> checksum = std::nullopt) {
  UploadPartRequest req{"bkt", key, id, number};
  req.size = body.size();
  req.checksum = checksum;
  FERRY_ASSIGN_OR_RETURN(auto w, s.UploadPart(req));
  FERRY_RETURN_IF_ERROR(w->Append(std::span<const char>(body.data(), body.size())));
  return w->Commit();
}

TEST(Multipart, CompleteAssemblesPartsWithoutCopying) {
  StoreFixture f(Options());
  auto& s = *f.store;
  CreateMultipartRequest create{"bkt", "big/object"};
  create.headers.content_type = "application/x-test";
  create.headers.user_metadata = {{"k", "v"}};
  auto up = s.CreateMultipartUpload(create);
  ASSERT_TRUE(up.ok());
  std::string p1 = Bytes(kMinPart, 1), p2 = Bytes(kMinPart + 5, 2), p3 = Bytes(777, 3);
  auto m1 = UploadPart(s, "big/object", up->upload_id, 1, p1);
  ASSERT_TRUE(m1.ok()) << m1.status().ToString();
  EXPECT_EQ(m1->etag, testing::Md5Hex(p1));
  // Re-uploading a part number replaces it (and its blob).
  ASSERT_TRUE(UploadPart(s, "big/object", up->upload_id, 2, "wrong").ok());
  auto m2 = UploadPart(s, "big/object", up->upload_id, 2, p2);
  ASSERT_TRUE(m2.ok());
  auto m3 = UploadPart(s, "big/object", up->upload_id, 3, p3);
  ASSERT_TRUE(m3.ok());
  ASSERT_TRUE(UploadPart(s, "big/object", up->upload_id, 4, "unused").ok());
  std::string bucket_dir = f.dir.path() + "/root/bkt";
  EXPECT_EQ(CountBlobFiles(bucket_dir), 4u);

  auto parts = s.ListParts({"bkt", "big/object", up->upload_id});
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->parts.size(), 4u);
  EXPECT_EQ(parts->parts[1].etag, m2->etag);
  EXPECT_EQ(parts->parts[1].size, p2.size());
  auto page = s.ListParts({"bkt", "big/object", up->upload_id, 1, 2});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->parts.size(), 2u);
  EXPECT_EQ(page->parts[0].part_number, 2);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_part_number_marker, 3);

  CompleteMultipartRequest done{"bkt",
                                "big/object",
                                up->upload_id,
                                {{1, "\"" + m1->etag + "\""}, {2, m2->etag}, {3, m3->etag}}};
  auto meta = s.CompleteMultipartUpload(done);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  std::string md5s = *HexDecode(m1->etag) + *HexDecode(m2->etag) + *HexDecode(m3->etag);
  EXPECT_EQ(meta->etag, HexEncode(Digest(DigestKind::kMd5, md5s)) + "-3");
  EXPECT_EQ(meta->size, p1.size() + p2.size() + p3.size());
  EXPECT_EQ(meta->parts_count, 3);
  EXPECT_EQ(meta->part_sizes, (std::vector<uint64_t>{p1.size(), p2.size(), p3.size()}));
  EXPECT_EQ(CountBlobFiles(bucket_dir), 3u);  // the unused part's blob is gone

  auto head = s.HeadObject("bkt", "big/object");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->etag, meta->etag);
  EXPECT_EQ(head->headers.content_type, "application/x-test");
  EXPECT_EQ(head->headers.user_metadata.at("k"), "v");
  EXPECT_EQ(head->part_sizes, meta->part_sizes);
  auto body = ReadAll(s, "bkt", "big/object");
  ASSERT_TRUE(body.ok());
  EXPECT_TRUE(*body == p1 + p2 + p3);
  // The upload is gone.
  EXPECT_EQ(s.ListParts({"bkt", "big/object", up->upload_id}).status().s3_code(), "NoSuchUpload");
  EXPECT_EQ(s.CompleteMultipartUpload(done).status().s3_code(), "NoSuchUpload");

  // Ranged reads across part boundaries.
  auto reader = s.OpenObject("bkt", "big/object");
  ASSERT_TRUE(reader.ok());
  std::string buf(100, '\0');
  ASSERT_EQ(*(*reader)->ReadAt(kMinPart - 50, buf), 100u);
  EXPECT_EQ(buf, (p1 + p2).substr(kMinPart - 50, 100));
  auto extents = (*reader)->Extents(kMinPart - 50, p2.size() + 60);
  ASSERT_EQ(extents.size(), 3u);
  EXPECT_EQ(extents[0].length, 50u);
  EXPECT_EQ(extents[1].length, p2.size());
  EXPECT_EQ(extents[2].file_offset, 0u);
  EXPECT_EQ(extents[2].length, 10u);
}

TEST(Multipart, Validation) {
  StoreFixture f(Options());
  auto& s = *f.store;
  auto up = s.CreateMultipartUpload({"bkt", "k"});
  ASSERT_TRUE(up.ok());
  std::string big = Bytes(kMinPart, 1);
  auto m1 = UploadPart(s, "k", up->upload_id, 1, "small");
  auto m2 = UploadPart(s, "k", up->upload_id, 2, big);
  auto m3 = UploadPart(s, "k", up->upload_id, 3, big);
  ASSERT_TRUE(m1.ok() && m2.ok() && m3.ok());

  EXPECT_EQ(UploadPart(s, "k", up->upload_id, 0, "x").status().s3_code(), "InvalidArgument");
  EXPECT_EQ(UploadPart(s, "k", up->upload_id, 10001, "x").status().s3_code(), "InvalidArgument");
  EXPECT_EQ(UploadPart(s, "k", "nope", 1, "x").status().s3_code(), "NoSuchUpload");
  EXPECT_EQ(UploadPart(s, "other", up->upload_id, 1, "x").status().s3_code(), "NoSuchUpload");

  auto complete = [&](std::vector<CompletedPart> parts) {
    return s.CompleteMultipartUpload({"bkt", "k", up->upload_id, std::move(parts)}).status();
  };
  EXPECT_EQ(complete({{2, m2->etag}, {2, m2->etag}}).s3_code(), "InvalidPartOrder");
  EXPECT_EQ(complete({{3, m3->etag}, {2, m2->etag}}).s3_code(), "InvalidPartOrder");
  EXPECT_EQ(complete({{2, m3->etag + "x"}, {3, m3->etag}}).s3_code(), "InvalidPart");
  EXPECT_EQ(complete({{2, m2->etag}, {4, m3->etag}}).s3_code(), "InvalidPart");
  EXPECT_EQ(complete({{1, m1->etag}, {2, m2->etag}}).s3_code(), "EntityTooSmall");
  EXPECT_EQ(complete({}).s3_code(), "MalformedXML");
  EXPECT_EQ(s.HeadObject("bkt", "k").status().s3_code(), "NoSuchKey");
  // A small last part is fine; a one-part upload too.
  ASSERT_TRUE(complete({{2, m2->etag}, {3, m3->etag}}).ok());
  EXPECT_EQ(s.HeadObject("bkt", "k")->size, 2 * kMinPart);
}

TEST(Multipart, AbortRemovesUploadAndBlobs) {
  StoreFixture f(Options());
  auto& s = *f.store;
  auto up = s.CreateMultipartUpload({"bkt", "k"});
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(UploadPart(s, "k", up->upload_id, 1, Bytes(1000, 1)).ok());
  ASSERT_TRUE(UploadPart(s, "k", up->upload_id, 2, Bytes(1000, 2)).ok());
  EXPECT_EQ(CountBlobFiles(f.dir.path() + "/root/bkt"), 2u);
  EXPECT_EQ(s.AbortMultipartUpload("bkt", "other", up->upload_id).s3_code(), "NoSuchUpload");
  ASSERT_TRUE(s.AbortMultipartUpload("bkt", "k", up->upload_id).ok());
  EXPECT_EQ(CountBlobFiles(f.dir.path() + "/root/bkt"), 0u);
  EXPECT_EQ(s.AbortMultipartUpload("bkt", "k", up->upload_id).s3_code(), "NoSuchUpload");
  EXPECT_EQ(s.ListMultipartUploads({"bkt"})->uploads.size(), 0u);
}

TEST(Multipart, CompositeChecksum) {
  StoreFixture f(Options());
  auto& s = *f.store;
  CreateMultipartRequest create{"bkt", "k"};
  create.checksum_algorithm = ChecksumAlgorithm::kCrc32c;
  auto up = s.CreateMultipartUpload(create);
  ASSERT_TRUE(up.ok());
  std::string p1 = Bytes(kMinPart, 1), p2 = Bytes(1234, 2);
  std::string c1 = Digest(DigestKind::kCrc32c, p1), c2 = Digest(DigestKind::kCrc32c, p2);
  // Part 1 computed (no value sent), part 2 verified against the client's value.
  auto m1 = UploadPart(s, "k", up->upload_id, 1, p1);
  ASSERT_TRUE(m1.ok());
  EXPECT_EQ(m1->checksum->value, Base64Encode(c1));
  ObjectChecksum wrong{ChecksumAlgorithm::kCrc32c, Base64Encode(c1)};
  EXPECT_EQ(UploadPart(s, "k", up->upload_id, 2, p2, wrong).status().s3_code(), "BadDigest");
  ObjectChecksum other{ChecksumAlgorithm::kSha256, ""};
  EXPECT_EQ(UploadPart(s, "k", up->upload_id, 2, p2, other).status().s3_code(), "InvalidRequest");
  auto m2 = UploadPart(s, "k", up->upload_id, 2, p2,
                       ObjectChecksum{ChecksumAlgorithm::kCrc32c, Base64Encode(c2)});
  ASSERT_TRUE(m2.ok());
  auto listed = s.ListParts({"bkt", "k", up->upload_id});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->checksum_algorithm, ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(listed->parts[1].checksum->value, Base64Encode(c2));

  EXPECT_EQ(s.CompleteMultipartUpload(
                 {"bkt", "k", up->upload_id, {{1, m1->etag, Base64Encode(c2)}, {2, m2->etag}}})
                .status()
                .s3_code(),
            "InvalidPart");
  auto meta = s.CompleteMultipartUpload(
      {"bkt", "k", up->upload_id, {{1, m1->etag, Base64Encode(c1)}, {2, m2->etag}}});
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  ASSERT_TRUE(meta->checksum.has_value());
  EXPECT_TRUE(meta->checksum->composite);
  EXPECT_EQ(meta->checksum->parts, 2);
  EXPECT_EQ(meta->checksum->value, Base64Encode(Digest(DigestKind::kCrc32c, c1 + c2)));
  auto head = s.HeadObject("bkt", "k");
  EXPECT_EQ(head->checksum->value, meta->checksum->value);
  EXPECT_TRUE(head->checksum->composite);
}

TEST(Multipart, ConditionalCompleteAndOverwrite) {
  StoreFixture f(Options());
  auto& s = *f.store;
  ASSERT_TRUE(testing::Put(s, "bkt", "k", Bytes(300000, 9)).ok());
  auto up = s.CreateMultipartUpload({"bkt", "k"});
  auto m1 = UploadPart(s, "k", up->upload_id, 1, "only part");
  ASSERT_TRUE(m1.ok());
  CompleteMultipartRequest req{"bkt", "k", up->upload_id, {{1, m1->etag}}};
  req.if_none_match_star = true;
  EXPECT_EQ(s.CompleteMultipartUpload(req).status().s3_code(), "PreconditionFailed");
  req.if_none_match_star = false;
  ASSERT_TRUE(s.CompleteMultipartUpload(req).ok());
  EXPECT_EQ(*ReadAll(s, "bkt", "k"), "only part");
  EXPECT_EQ(CountBlobFiles(f.dir.path() + "/root/bkt"), 1u);  // the old blob is gone
}

TEST(Multipart, ListUploads) {
  StoreFixture f(Options());
  auto& s = *f.store;
  std::vector<std::string> keys = {"a/1", "a/2", "a/2", "b", "c/x/y", "d"};
  std::vector<MultipartUploadInfo> created;
  for (const auto& k : keys) {
    auto up = s.CreateMultipartUpload({"bkt", k});
    ASSERT_TRUE(up.ok());
    created.push_back(*up);
  }
  auto all = s.ListMultipartUploads({"bkt"});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->uploads.size(), 6u);
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(all->uploads[i].key, keys[i]);
  EXPECT_LT(all->uploads[1].upload_id, all->uploads[2].upload_id);

  auto grouped = s.ListMultipartUploads({"bkt", "", "/"});
  ASSERT_TRUE(grouped.ok());
  EXPECT_EQ(grouped->common_prefixes, (std::vector<std::string>{"a/", "c/"}));
  ASSERT_EQ(grouped->uploads.size(), 2u);
  EXPECT_EQ(grouped->uploads[0].key, "b");

  auto prefixed = s.ListMultipartUploads({"bkt", "c/", "/"});
  EXPECT_EQ(prefixed->common_prefixes, std::vector<std::string>{"c/x/"});

  // Paging with key and upload-id markers visits every upload once, in order.
  std::vector<std::string> seen;
  ListUploadsRequest req{"bkt"};
  req.max_uploads = 2;
  for (int i = 0; i < 10; ++i) {
    auto page = s.ListMultipartUploads(req);
    ASSERT_TRUE(page.ok());
    for (const auto& u : page->uploads) seen.push_back(u.upload_id);
    if (!page->truncated) break;
    req.key_marker = page->next_key_marker;
    req.upload_id_marker = page->next_upload_id_marker;
  }
  ASSERT_EQ(seen.size(), 6u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], all->uploads[i].upload_id);

  auto after = s.ListMultipartUploads({"bkt", "", "", "a/2"});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->uploads.front().key, "b");
}

TEST(Multipart, PartCopiedWholeFromABlobIsALinkWithTheSourcesMd5) {
  StoreFixture f(Options());
  auto& s = *f.store;
  // The source: two parts, so its blobs carry the parts' MD5s.
  auto src_up = s.CreateMultipartUpload({"bkt", "src"});
  ASSERT_TRUE(src_up.ok());
  std::string p1 = Bytes(kMinPart, 11), p2 = Bytes(kMinPart + 3, 12);
  auto m1 = UploadPart(s, "src", src_up->upload_id, 1, p1);
  auto m2 = UploadPart(s, "src", src_up->upload_id, 2, p2);
  ASSERT_TRUE(m1.ok() && m2.ok());
  auto src =
      s.CompleteMultipartUpload({"bkt", "src", src_up->upload_id, {{1, m1->etag}, {2, m2->etag}}});
  ASSERT_TRUE(src.ok());
  const std::string whole = Bytes(200 * 1024, 13);  // above the pack threshold: a blob
  ASSERT_TRUE(testing::Put(s, "bkt", "single", whole).ok());
  const std::string bucket_dir = f.dir.path() + "/root/bkt";
  const size_t blobs_before = CountBlobFiles(bucket_dir);

  auto up = s.CreateMultipartUpload({"bkt", "dst"});
  ASSERT_TRUE(up.ok());
  auto copy = [&](int number, const std::string& key, uint64_t first, uint64_t last,
                  std::string etag) {
    UploadPartCopyRequest req;
    req.bucket = req.src_bucket = "bkt";
    req.key = "dst";
    req.upload_id = up->upload_id;
    req.part_number = number;
    req.src_key = key;
    req.src_etag = std::move(etag);
    req.first = first;
    req.last = last;
    return s.UploadPartCopy(req);
  };
  // Exactly the source's second part: linked, with that part's ETag.
  auto c1 = copy(1, "src", p1.size(), p1.size() + p2.size() - 1, src->etag);
  ASSERT_TRUE(c1.ok()) << c1.status().ToString();
  EXPECT_EQ(c1->etag, m2->etag);
  EXPECT_EQ(c1->size, p2.size());
  // The whole of a single-part object: linked, with the object's ETag.
  auto single = s.HeadObject("bkt", "single");
  ASSERT_TRUE(single.ok());
  auto c2 = copy(2, "single", 0, whole.size() - 1, single->etag);
  ASSERT_TRUE(c2.ok()) << c2.status().ToString();
  EXPECT_EQ(c2->etag, testing::Md5Hex(whole));
  // A range across the parts' boundary is copied byte by byte.
  auto c3 = copy(3, "src", 10, p1.size() + 9, src->etag);
  ASSERT_TRUE(c3.ok()) << c3.status().ToString();
  const std::string straddle = (p1 + p2).substr(10, p1.size());
  EXPECT_EQ(c3->etag, testing::Md5Hex(straddle));
  // The source must still be the version named.
  EXPECT_EQ(copy(4, "src", 0, p1.size() - 1, m1->etag).status().s3_code(), "PreconditionFailed");
  EXPECT_EQ(CountBlobFiles(bucket_dir), blobs_before + 3);

  auto done = s.CompleteMultipartUpload(
      {"bkt", "dst", up->upload_id, {{1, c1->etag}, {2, c2->etag}, {3, c3->etag}}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  // The copy outlives its sources: their blobs go, the links stay.
  ASSERT_TRUE(s.DeleteObject("bkt", "src").ok());
  ASSERT_TRUE(s.DeleteObject("bkt", "single").ok());
  auto body = ReadAll(s, "bkt", "dst");
  ASSERT_TRUE(body.ok());
  EXPECT_TRUE(*body == p2 + whole + straddle);
  // A part copied whole from the copy (into a new upload of it) is linked again, same MD5.
  auto again = s.CreateMultipartUpload({"bkt", "dst"});
  ASSERT_TRUE(again.ok());
  up = again;
  auto c4 = copy(1, "dst", 0, p2.size() - 1, done->etag);
  ASSERT_TRUE(c4.ok()) << c4.status().ToString();
  EXPECT_EQ(c4->etag, m2->etag);
}

TEST(Multipart, SegmentListsWithAndWithoutMd5sDecode) {
  const local::BlobId a = local::BlobId::Random(), b = local::BlobId::Random();
  const std::string md5 = Digest(DigestKind::kMd5, "x");
  // Written before segments kept MD5s: 24-byte records.
  const std::string old = local::EncodeSegments({{a, 5, ""}, {b, 70000, ""}});
  ASSERT_EQ(old.size(), 48u);
  auto decoded = local::DecodeSegments(old);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_EQ((*decoded)[1].size, 70000u);
  EXPECT_TRUE((*decoded)[1].md5.empty());
  // One known MD5 switches to the marked 40-byte records; unknown ones stay empty.
  decoded = local::DecodeSegments(local::EncodeSegments({{a, 5, ""}, {b, 70000, md5}}));
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_TRUE((*decoded)[0].md5.empty());
  EXPECT_EQ((*decoded)[1].md5, md5);
  EXPECT_EQ((*decoded)[1].blob.Raw(), b.Raw());
  EXPECT_FALSE(local::DecodeSegments(std::string(41, '\2')).ok());
  EXPECT_FALSE(local::DecodeSegments(std::string(25, '\0')).ok());
}

}  // namespace
}  // namespace ferry
