#include "s3/xml_response.h"

#include <gtest/gtest.h>

#include "s3/uri.h"
#include "s3/xml.h"
#include "s3/xml_parse.h"
#include "s3/xml_request.h"

namespace ferry::s3 {
namespace {

constexpr int64_t kTime = 1445412480LL * 1'000'000'000 + 123'000'000;  // 2015-10-21T07:28:00.123Z
const Owner kOwner{"owner-id", "owner"};

ObjectMeta Object(std::string key, uint64_t size = 10) {
  ObjectMeta o;
  o.key = std::move(key);
  o.size = size;
  o.etag = "9a0364b9e99bb480dd25e1f0284c8555";
  o.last_modified_ns = kTime;
  return o;
}

TEST(XmlResponse, ErrorDocument) {
  std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The "
      "specified key does not exist.</Message><Key>a b</Key><RequestId>R1</RequestId></Error>";
  ASSERT_TRUE(IsErrorDocument(body));
  auto e = ParseErrorResponse(body);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->code, "NoSuchKey");
  EXPECT_EQ(e->key, "a b");
  EXPECT_EQ(e->request_id, "R1");
  Status st = StatusFromErrorResponse(404, *e);
  EXPECT_TRUE(st.IsNotFound());
  EXPECT_EQ(st.s3_code(), "NoSuchKey");
  EXPECT_EQ(st.http_status(), 404);
  EXPECT_FALSE(st.retryable());
  EXPECT_EQ(st.message(), "404 NoSuchKey: The specified key does not exist.");
  EXPECT_FALSE(IsErrorDocument("<ListBucketResult/>"));
  EXPECT_FALSE(IsErrorDocument("not xml"));
  EXPECT_FALSE(ParseErrorResponse("<Error").ok());
}

TEST(XmlResponse, ErrorRoundTripsServerBuilder) {
  ErrorDetails details;
  details.request_id = "RID";
  details.resource = "/b/k";
  std::string xml = ErrorXml(Status::PermissionDenied("The request signature we calculated does "
                                                      "not match the signature you provided.")
                                 .WithS3Code("SignatureDoesNotMatch", 403),
                             details);
  auto e = ParseErrorResponse(xml);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->code, "SignatureDoesNotMatch");
  EXPECT_EQ(e->resource, "/b/k");
  Status st = StatusFromErrorResponse(403, *e);
  EXPECT_EQ(st.code(), Status::Code::kPermissionDenied);
  EXPECT_FALSE(st.retryable());
}

TEST(XmlResponse, Classification) {
  EXPECT_TRUE(IsRetryableS3Error(500, "InternalError"));
  EXPECT_TRUE(IsRetryableS3Error(503, "SlowDown"));
  EXPECT_TRUE(IsRetryableS3Error(502, ""));
  EXPECT_TRUE(IsRetryableS3Error(429, ""));
  EXPECT_TRUE(IsRetryableS3Error(400, "RequestTimeout"));
  EXPECT_FALSE(IsRetryableS3Error(501, "NotImplemented"));
  EXPECT_FALSE(IsRetryableS3Error(403, "AccessDenied"));
  EXPECT_FALSE(IsRetryableS3Error(404, "NoSuchKey"));
  EXPECT_FALSE(IsRetryableS3Error(400, "InvalidArgument"));
  EXPECT_FALSE(IsRetryableS3Error(412, ""));

  Status head404 = StatusFromS3Error(404, "", "");
  EXPECT_TRUE(head404.IsNotFound());
  EXPECT_EQ(head404.s3_code(), "NotFound");
  EXPECT_EQ(StatusFromS3Error(412, "", "").code(), Status::Code::kPreconditionFailed);
  EXPECT_EQ(StatusFromS3Error(409, "BucketNotEmpty", "").code(), Status::Code::kPreconditionFailed);
  EXPECT_EQ(StatusFromS3Error(409, "BucketAlreadyOwnedByYou", "").code(),
            Status::Code::kAlreadyExists);
  EXPECT_EQ(StatusFromS3Error(400, "BadDigest", "").code(), Status::Code::kCorruption);
  Status slow = StatusFromS3Error(503, "SlowDown", "Please reduce your request rate.");
  EXPECT_EQ(slow.code(), Status::Code::kUnavailable);
  EXPECT_TRUE(slow.retryable());
  EXPECT_EQ(slow.message(), "503 SlowDown: Please reduce your request rate.");
  // A full server: a category of its own, and asking again soon changes nothing.
  for (auto [http, code] :
       {std::pair{507, ""}, std::pair{507, "XMinioStorageFull"}, std::pair{403, "QuotaExceeded"}}) {
    Status full = StatusFromS3Error(http, code, "");
    EXPECT_EQ(full.code(), Status::Code::kNoSpace) << http << code;
    EXPECT_FALSE(full.retryable()) << http << code;
  }
}

TEST(XmlResponse, ListBuckets) {
  std::vector<BucketInfo> buckets = {{"alpha", kTime}, {"beta", kTime + 1'000'000}};
  auto parsed = ParseListBucketsResult(ListBucketsXml(kOwner, buckets));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].name, "alpha");
  EXPECT_EQ((*parsed)[0].created_ns, kTime);
  EXPECT_EQ((*parsed)[1].created_ns, kTime + 1'000'000);
  // No buckets at all: AWS may omit <Buckets>.
  auto empty = ParseListBucketsResult(
      "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>x</ID>"
      "</Owner></ListAllMyBucketsResult>");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(XmlResponse, ListObjectsV2RoundTripWithUrlEncoding) {
  ListObjectsPage page;
  ObjectMeta a = Object("dir/a b+c%d~e");
  a.checksum = ObjectChecksum{ChecksumAlgorithm::kCrc32c, "AAAAAA=="};
  ObjectMeta cr = Object(std::string("cr\rkey\x01", 7), 123456789012ULL);
  cr.headers.storage_class = "GLACIER";
  cr.etag = "0123456789abcdef0123456789abcdef-3";
  page.objects = {a, cr};
  page.common_prefixes = {"dir/sub dir/"};
  page.truncated = true;
  page.last = "dir/sub dir/";
  ListObjectsV2Params params;
  params.bucket = "b";
  params.prefix = "dir/";
  params.delimiter = "/";
  params.continuation_token = "tok1";
  params.next_continuation_token = "tok2";
  params.url_encoding = true;
  params.max_keys = 3;
  auto r = ParseListObjectsV2Result(ListObjectsV2Xml(params, page, kOwner));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->url_encoded);
  EXPECT_TRUE(r->page.truncated);
  EXPECT_EQ(r->prefix, "dir/");
  EXPECT_EQ(r->delimiter, "/");
  EXPECT_EQ(r->continuation_token, "tok1");
  EXPECT_EQ(r->next_continuation_token, "tok2");
  EXPECT_EQ(r->max_keys, 3);
  EXPECT_EQ(r->key_count, 3);
  ASSERT_EQ(r->page.objects.size(), 2u);
  EXPECT_EQ(r->page.objects[0].key, "dir/a b+c%d~e");
  EXPECT_EQ(r->page.objects[0].etag, "9a0364b9e99bb480dd25e1f0284c8555");
  EXPECT_EQ(r->page.objects[0].last_modified_ns, kTime);
  ASSERT_TRUE(r->page.objects[0].checksum);
  EXPECT_EQ(r->page.objects[0].checksum->algorithm, ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(r->page.objects[1].key, std::string("cr\rkey\x01", 7));
  EXPECT_EQ(r->page.objects[1].size, 123456789012ULL);
  EXPECT_EQ(r->page.objects[1].headers.storage_class, "GLACIER");
  EXPECT_EQ(r->page.objects[1].parts_count, 3);
  EXPECT_EQ(r->page.objects[0].headers.storage_class, "");
  ASSERT_EQ(r->page.common_prefixes.size(), 1u);
  EXPECT_EQ(r->page.common_prefixes[0], "dir/sub dir/");
  EXPECT_EQ(r->page.last, "dir/sub dir/");
}

TEST(XmlResponse, ListObjectsV2PlainKeepsSpacesAndPlus) {
  ListObjectsPage page;
  page.objects = {Object(" lead+trail ")};
  ListObjectsV2Params params;
  params.bucket = "b";
  params.start_after = "a+b";
  auto r = ParseListObjectsV2Result(ListObjectsV2Xml(params, page, kOwner));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->url_encoded);
  EXPECT_EQ(r->page.objects[0].key, " lead+trail ");
  EXPECT_EQ(r->start_after, "a+b");
  EXPECT_FALSE(r->page.truncated);
  EXPECT_EQ(r->page.last, " lead+trail ");
}

TEST(XmlResponse, ListObjectsForeignNamespaceAndMalformed) {
  // s3rver declares a different namespace; prefixes on elements are tolerated too.
  auto r = ParseListObjectsV2Result(
      "<ListBucketResult xmlns=\"http://doc.s3.amazonaws.com/2006-03-01/\"><Name>b</Name>"
      "<IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>5</Size>"
      "<ETag>&quot;abc&quot;</ETag></Contents></ListBucketResult>");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->page.objects[0].etag, "abc");
  EXPECT_EQ(r->page.objects[0].size, 5u);
  // Prefixed fields, fields S3 may add, a restore under way; the first of a repeated field.
  auto fields = ParseListObjectsV2Result(
      "<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:Contents>"
      "<s3:Key>k</s3:Key><Owner><ID>o</ID></Owner><s3:Size>7</s3:Size><Size>9</Size>"
      "<RestoreStatus><IsRestoreInProgress>true</IsRestoreInProgress></RestoreStatus>"
      "<ChecksumAlgorithm>SHA256</ChecksumAlgorithm></s3:Contents></s3:ListBucketResult>");
  ASSERT_TRUE(fields.ok()) << fields.status().ToString();
  EXPECT_EQ(fields->page.objects[0].key, "k");
  EXPECT_EQ(fields->page.objects[0].size, 7u);
  EXPECT_NE(fields->page.objects[0].headers.restore_ready_ns, 0);
  ASSERT_TRUE(fields->page.objects[0].checksum);
  EXPECT_EQ(fields->page.objects[0].checksum->algorithm, ChecksumAlgorithm::kSha256);
  auto bad = ParseListObjectsV2Result("<ListBucketResult><Contents>");
  EXPECT_EQ(bad.status().code(), Status::Code::kCorruption);
  auto wrong = ParseListObjectsV2Result("<Other/>");
  EXPECT_EQ(wrong.status().code(), Status::Code::kCorruption);
  auto bad_escape = ParseListObjectsV2Result(
      "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>%zz</Key></Contents>"
      "</ListBucketResult>");
  EXPECT_FALSE(bad_escape.ok());
}

TEST(XmlResponse, InitiateAndComplete) {
  auto init = ParseInitiateMultipartUploadResult(InitiateMultipartUploadXml("b", "k k", "U-1"));
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->bucket, "b");
  EXPECT_EQ(init->key, "k k");
  EXPECT_EQ(init->upload_id, "U-1");
  EXPECT_FALSE(ParseInitiateMultipartUploadResult("<InitiateMultipartUploadResult/>").ok());

  ObjectMeta meta = Object("k");
  meta.etag = "0123456789abcdef0123456789abcdef-3";
  meta.checksum = ObjectChecksum{ChecksumAlgorithm::kCrc32c, "q83vEg==", true, 3};
  auto done =
      ParseCompleteMultipartUploadResult(CompleteMultipartUploadXml("http://h/b/k", "b", meta));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->etag, "0123456789abcdef0123456789abcdef-3");
  EXPECT_EQ(done->location, "http://h/b/k");
  ASSERT_TRUE(done->checksum);
  EXPECT_EQ(done->checksum->value, "q83vEg==");
  EXPECT_TRUE(done->checksum->composite);
  EXPECT_EQ(done->checksum->parts, 3);
}

TEST(XmlResponse, CompleteWithEmptyEtagParses) {
  auto r = ParseCompleteMultipartUploadResult(
      "<CompleteMultipartUploadResult><Location>l</Location><Bucket>b</Bucket><Key>k</Key>"
      "<ETag></ETag></CompleteMultipartUploadResult>");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->etag, "");
  EXPECT_EQ(r->key, "k");
}

TEST(XmlResponse, CompleteWith200ErrorBody) {
  // S3 sends the 200 status line first and may then report a failure in the body.
  std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError</Code><Message>We "
      "encountered an internal error. Please try again.</Message><RequestId>656c76696e6727732072"
      "657175657374</RequestId></Error>";
  auto r = ParseCompleteMultipartUploadResult(body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().s3_code(), "InternalError");
  EXPECT_EQ(r.status().http_status(), 500);
  EXPECT_TRUE(r.status().retryable());
  EXPECT_NE(r.status().message().find("in a 200 answer"), std::string::npos);

  auto invalid = ParseCompleteMultipartUploadResult(
      "<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be "
      "found.</Message></Error>");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().s3_code(), "InvalidPart");
  EXPECT_EQ(invalid.status().http_status(), 400);
  EXPECT_FALSE(invalid.status().retryable());
}

TEST(XmlResponse, CopyResults) {
  ObjectMeta meta = Object("k");
  meta.checksum = ObjectChecksum{ChecksumAlgorithm::kCrc32c, "q83vEg=="};
  auto copy = ParseCopyObjectResult(CopyObjectResultXml(meta));
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->etag, meta.etag);
  EXPECT_EQ(copy->last_modified_ns, kTime);
  ASSERT_TRUE(copy->checksum);
  EXPECT_FALSE(copy->checksum->composite);

  PartInfo part;
  part.part_number = 2;
  part.etag = "abc";
  part.last_modified_ns = kTime;
  auto cp = ParseCopyPartResult(CopyPartResultXml(part));
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->etag, "abc");
  EXPECT_TRUE(ParseCopyPartResult(CopyObjectResultXml(meta)).ok());

  auto err = ParseCopyObjectResult("<Error><Code>SlowDown</Code><Message>m</Message></Error>");
  EXPECT_EQ(err.status().http_status(), 503);
  EXPECT_TRUE(err.status().retryable());
}

TEST(XmlResponse, ListParts) {
  ListPartsRequest req;
  req.max_parts = 2;
  ListPartsResult result;
  result.upload.key = "a/b";
  result.upload.upload_id = "U";
  result.checksum_algorithm = ChecksumAlgorithm::kCrc32c;
  result.truncated = true;
  result.next_part_number_marker = 2;
  for (int i = 1; i <= 2; ++i) {
    PartInfo p;
    p.part_number = i;
    p.etag = "e" + std::to_string(i);
    p.size = 5u << 20;
    p.last_modified_ns = kTime;
    p.checksum = ObjectChecksum{ChecksumAlgorithm::kCrc32c, "AAAAAA=="};
    result.parts.push_back(p);
  }
  auto r = ParseListPartsResult(ListPartsXml("b", req, result, kOwner));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->upload.key, "a/b");
  EXPECT_EQ(r->upload.upload_id, "U");
  EXPECT_EQ(r->checksum_algorithm, ChecksumAlgorithm::kCrc32c);
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(r->next_part_number_marker, 2);
  ASSERT_EQ(r->parts.size(), 2u);
  EXPECT_EQ(r->parts[1].etag, "e2");
  EXPECT_EQ(r->parts[1].size, 5u << 20);
  ASSERT_TRUE(r->parts[1].checksum);
  EXPECT_EQ(r->parts[1].checksum->value, "AAAAAA==");
}

TEST(XmlResponse, ListMultipartUploads) {
  ListUploadsRequest req;
  req.bucket = "b";
  ListUploadsResult result;
  result.uploads = {{"k 1", "U1", kTime, ""}, {"k+2", "U2", kTime, "STANDARD_IA"}};
  result.common_prefixes = {"p q/"};
  result.truncated = true;
  result.next_key_marker = "k+2";
  result.next_upload_id_marker = "U2";
  for (bool url : {false, true}) {
    auto r = ParseListMultipartUploadsResult(ListMultipartUploadsXml(req, result, kOwner, url));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->uploads.size(), 2u);
    EXPECT_EQ(r->uploads[0].key, "k 1");
    EXPECT_EQ(r->uploads[1].key, "k+2");
    EXPECT_EQ(r->uploads[1].storage_class, "STANDARD_IA");
    EXPECT_EQ(r->uploads[0].initiated_ns, kTime);
    EXPECT_EQ(r->common_prefixes[0], "p q/");
    EXPECT_TRUE(r->truncated);
    EXPECT_EQ(r->next_key_marker, "k+2");
    EXPECT_EQ(r->next_upload_id_marker, "U2");
  }
}

TEST(XmlResponse, DeleteResult) {
  std::vector<DeleteOutcome> outcomes = {
      {"a", Status::OK()},
      {"b c", Status::PermissionDenied("Access Denied").WithS3Code("AccessDenied", 403)}};
  auto r = ParseDeleteResult(DeleteResultXml(outcomes, /*quiet=*/false));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->deleted.size(), 1u);
  EXPECT_EQ(r->deleted[0], "a");
  ASSERT_EQ(r->errors.size(), 1u);
  EXPECT_EQ(r->errors[0].key, "b c");
  EXPECT_EQ(r->errors[0].code, "AccessDenied");
  auto quiet = ParseDeleteResult(DeleteResultXml(outcomes, /*quiet=*/true));
  ASSERT_TRUE(quiet.ok());
  EXPECT_TRUE(quiet->deleted.empty());
  EXPECT_EQ(quiet->errors.size(), 1u);
}

TEST(XmlResponse, ListingUrlDecodeInvertsEncode) {
  for (std::string s : {"", "plain", "a b+c", "%41~*", "\xe2\x82\xac/x y", "\r\n\t"}) {
    auto d = ListingUrlDecode(ListingUrlEncode(s));
    ASSERT_TRUE(d) << s;
    EXPECT_EQ(*d, s);
  }
  EXPECT_FALSE(ListingUrlDecode("%"));
  EXPECT_FALSE(ListingUrlDecode("%4"));
  EXPECT_FALSE(ListingUrlDecode("%G0"));
}

TEST(XmlResponse, ChecksumValue) {
  ObjectChecksum c = ParseChecksumValue(ChecksumAlgorithm::kCrc32c, "q83vEg==-12");
  EXPECT_TRUE(c.composite);
  EXPECT_EQ(c.parts, 12);
  EXPECT_EQ(c.value, "q83vEg==");
  ObjectChecksum f = ParseChecksumValue(ChecksumAlgorithm::kCrc32c, "q83vEg==", "FULL_OBJECT");
  EXPECT_FALSE(f.composite);
  EXPECT_EQ(f.value, "q83vEg==");
}

TEST(XmlRequest, BodiesParseOnTheServerSide) {
  std::vector<CompletedPart> parts = {{1, "\"e1\"", "AAAAAA=="}, {2, "e2", ""}};
  auto parsed = ParseCompleteMultipartUpload(
      CompleteMultipartUploadRequestXml(parts, ChecksumAlgorithm::kCrc32c));
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].etag, "\"e1\"");
  EXPECT_EQ((*parsed)[0].checksum, "AAAAAA==");
  EXPECT_EQ((*parsed)[1].etag, "\"e2\"");

  std::vector<std::string> keys = {"a", " b ", "c\rd", "&<>\"'"};
  auto del = ParseDeleteObjects(DeleteObjectsRequestXml(keys, true));
  ASSERT_TRUE(del.ok());
  EXPECT_TRUE(del->quiet);
  EXPECT_EQ(del->keys, keys);

  EXPECT_EQ(CreateBucketConfigurationXml("us-east-1"), "");
  auto loc = ParseCreateBucketConfiguration(CreateBucketConfigurationXml("eu-west-1"));
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(*loc, "eu-west-1");

  EXPECT_TRUE(IsXmlSafe("a b\r\n\t\xe2\x82\xac"));
  EXPECT_FALSE(IsXmlSafe(std::string("a\x01", 2)));
  EXPECT_FALSE(IsXmlSafe("\xff"));
}

}  // namespace
}  // namespace ferry::s3
