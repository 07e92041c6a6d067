// Unit tests of S3Store's pure parts: segment queue, wire headers, multipart ETag and
// composite checksums, body hashing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "core/checksum.h"
#include "s3client/s3_multipart.h"
#include "s3client/s3_object_headers.h"
#include "s3client/s3_reader.h"
#include "s3client/s3_segments.h"
#include "s3client/s3_upload.h"

namespace ferry {
namespace {

std::string Text(const OwnedBody& b) {
  if (b.fd < 0) return b.data;
  std::string out(b.length, '\0');
  EXPECT_EQ(::pread(b.fd, out.data(), out.size(), static_cast<off_t>(b.offset)),
            static_cast<ssize_t>(out.size()));
  return out;
}

struct TempFile {
  TempFile(const std::string& content) {
    char path[] = "/tmp/ferry_s3_partsXXXXXX";
    fd = ::mkstemp(path);
    ::unlink(path);
    EXPECT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  }
  ~TempFile() { ::close(fd); }
  int fd;
};

std::span<const char> Span(std::string_view s) {
  return {s.data(), s.size()};
}

TEST(SegmentQueue, FileRangesStayFileRanges) {
  TempFile f("0123456789abcdefghij");
  SegmentQueue q;
  q.AppendFile(f.fd, 2, 15);  // "23456789abcdefg"
  EXPECT_EQ(q.size(), 15u);
  auto a = q.Take(5);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->fd, f.fd);  // zero-copy
  EXPECT_EQ(a->offset, 2u);
  EXPECT_EQ(Text(*a), "23456");
  auto b = q.Take(10);
  EXPECT_EQ(b->fd, f.fd);
  EXPECT_EQ(Text(*b), "789abcdefg");
  EXPECT_EQ(q.size(), 0u);
}

TEST(SegmentQueue, MixedPiecesAreGathered) {
  TempFile f("ABCDEFGHIJ");
  SegmentQueue q;
  q.Append(Span("xy"));
  q.AppendFile(f.fd, 0, 4);
  q.Append(Span("z"));
  q.Append(Span("w"));
  q.AppendFile(f.fd, 8, 2);
  EXPECT_EQ(q.size(), 10u);
  auto a = q.Take(3);
  EXPECT_EQ(a->fd, -1);
  EXPECT_EQ(Text(*a), "xyA");
  auto b = q.Take(3);
  EXPECT_EQ(b->fd, f.fd);  // lies within the file piece
  EXPECT_EQ(Text(*b), "BCD");
  auto c = q.Take(4);
  EXPECT_EQ(Text(*c), "zwIJ");
}

TEST(SegmentQueue, MemoryIsHandedOverWithoutGrowth) {
  SegmentQueue q;
  std::string chunk(1000, 'a');
  for (int i = 0; i < 10; ++i) q.Append(Span(chunk));
  auto a = q.Take(2500);
  EXPECT_EQ(a->data, std::string(2500, 'a'));
  q.Append(Span("bb"));
  EXPECT_EQ(q.size(), 7502u);
  auto b = q.Take(7502);
  EXPECT_EQ(b->data, std::string(7500, 'a') + "bb");
  EXPECT_TRUE(q.Take(0)->data.empty());
}

TEST(SegmentQueue, ShrunkFileIsAnError) {
  TempFile f("abc");
  SegmentQueue q;
  q.Append(Span("x"));
  q.AppendFile(f.fd, 0, 10);
  EXPECT_FALSE(q.Take(11).ok());
}

TEST(UploadBody, HashesMemoryAndFiles) {
  std::string content(3 << 20, 'q');
  content[12345] = 'z';
  TempFile f(content);
  auto mem = ChecksumOfBody(UploadBody{content}, ChecksumAlgorithm::kCrc32c);
  auto file = ChecksumOfBody(UploadBody{{}, f.fd, 0, content.size()}, ChecksumAlgorithm::kCrc32c);
  ASSERT_TRUE(mem.ok());
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(*mem, *file);
  auto part = ChecksumOfBody(UploadBody{{}, f.fd, 100, 1000}, ChecksumAlgorithm::kSha256);
  EXPECT_EQ(*part, Base64Encode(Digest(DigestKind::kSha256, content.substr(100, 1000))));
  EXPECT_FALSE(
      ChecksumOfBody(UploadBody{{}, f.fd, 0, content.size() + 1}, ChecksumAlgorithm::kCrc32c).ok());
}

TEST(S3ObjectHeaders, MetaFromAnswer) {
  http::Headers h;
  h.Add("ETag", "\"0123456789abcdef0123456789abcdef-3\"");
  h.Add("Content-Range", "bytes 0-99/123456");
  h.Add("Content-Length", "100");
  h.Add("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT");
  h.Add("Content-Type", "text/plain");
  h.Add("X-Amz-Meta-File-Mtime", "1ns");
  h.Add("x-amz-meta-a", "1");
  h.Add("x-amz-meta-a", "2");
  h.Add("x-amz-storage-class", "GLACIER");
  h.Add("x-amz-checksum-crc32c", "q83vEg==-3");
  h.Add("x-amz-checksum-type", "COMPOSITE");
  h.Add("x-amz-mp-parts-count", "3");
  ObjectMeta m = ObjectMetaFromHeaders("k", h);
  EXPECT_EQ(m.key, "k");
  EXPECT_EQ(m.size, 123456u);
  EXPECT_EQ(m.etag, "0123456789abcdef0123456789abcdef-3");
  EXPECT_EQ(m.last_modified_ns, int64_t{1445412480} * 1'000'000'000);
  EXPECT_EQ(m.headers.content_type, "text/plain");
  EXPECT_EQ(m.headers.user_metadata.at("file-mtime"), "1ns");
  EXPECT_EQ(m.headers.user_metadata.at("a"), "1,2");
  EXPECT_EQ(m.headers.storage_class, "GLACIER");
  ASSERT_TRUE(m.checksum);
  EXPECT_TRUE(m.checksum->composite);
  EXPECT_EQ(m.checksum->parts, 3);
  EXPECT_EQ(m.parts_count, 3);
  http::Headers plain;
  plain.Add("Content-Length", "7");
  plain.Add("ETag", "\"9a0364b9e99bb480dd25e1f0284c8555\"");
  ObjectMeta p = ObjectMetaFromHeaders("k", plain);
  EXPECT_EQ(p.size, 7u);
  EXPECT_EQ(p.parts_count, 0);
  EXPECT_TRUE(s3::IsMd5Etag(p.etag));
  EXPECT_FALSE(s3::IsMd5Etag(m.etag));
}

TEST(S3ObjectHeaders, RequestHeadersAndContentRange) {
  ObjectHeaders h;
  h.content_type = "a/b";
  h.cache_control = "no-cache";
  h.user_metadata = {{"File-Owner", "0"}};
  h.storage_class = "STANDARD_IA";
  s3::HeaderList out;
  AppendObjectHeaders(h, out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[2].first, "x-amz-meta-file-owner");
  EXPECT_EQ(out[3].second, "STANDARD_IA");
  auto r = ParseContentRange("bytes 5-9/10");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 5u);
  EXPECT_EQ(r->last, 9u);
  EXPECT_EQ(r->total, 10u);
  EXPECT_TRUE(ParseContentRange("bytes */0")->unsatisfied);
  EXPECT_FALSE(ParseContentRange("bytes 9-5/10"));
  EXPECT_FALSE(ParseContentRange("items 0-1/2"));
}

TEST(S3Multipart, EtagAndCompositeChecksum) {
  std::string a(100, 'a'), b(50, 'b');
  std::string ma = Digest(DigestKind::kMd5, a), mb = Digest(DigestKind::kMd5, b);
  std::vector<CompletedPart> parts = {
      {1, "\"" + HexEncode(ma) + "\"", Base64Encode(Digest(DigestKind::kCrc32c, a))},
      {2, HexEncode(mb), Base64Encode(Digest(DigestKind::kCrc32c, b))}};
  EXPECT_EQ(MultipartEtag(parts), HexEncode(Digest(DigestKind::kMd5, ma + mb)) + "-2");
  EXPECT_EQ(CompositeChecksum(ChecksumAlgorithm::kCrc32c, parts),
            Base64Encode(Digest(DigestKind::kCrc32c,
                                Digest(DigestKind::kCrc32c, a) + Digest(DigestKind::kCrc32c, b))));
  parts[1].etag = "not-md5";
  EXPECT_EQ(MultipartEtag(parts), "");
  parts[1].checksum.clear();
  EXPECT_EQ(CompositeChecksum(ChecksumAlgorithm::kCrc32c, parts), "");
  EXPECT_EQ(CopySourceHeader("b", "a b/c+d"), "/b/a%20b/c%2Bd");
}

TEST(S3Reader, VerifyWholeObject) {
  std::string body = "hello world";
  ObjectMeta m;
  m.etag = HexEncode(Digest(DigestKind::kMd5, body));
  EXPECT_TRUE(VerifyWholeObject(m, true, body, "x").ok());
  Status bad = VerifyWholeObject(m, true, "hello worle", "GetObject s3://b/k");
  EXPECT_EQ(bad.code(), Status::Code::kCorruption);
  EXPECT_TRUE(bad.retryable());
  EXPECT_NE(bad.message().find("MD5 ETag"), std::string::npos);
  EXPECT_TRUE(VerifyWholeObject(m, false, "other", "x").ok());  // nothing to check against
  m.checksum =
      ObjectChecksum{ChecksumAlgorithm::kCrc32c, Base64Encode(Digest(DigestKind::kCrc32c, body))};
  EXPECT_TRUE(VerifyWholeObject(m, false, body, "x").ok());
  EXPECT_FALSE(VerifyWholeObject(m, false, "hellO world", "x").ok());
  m.checksum->composite = true;  // a checksum of part checksums says nothing about the bytes
  m.etag = "x-2";
  EXPECT_TRUE(VerifyWholeObject(m, false, "hellO world", "x").ok());
}

}  // namespace
}  // namespace ferry
